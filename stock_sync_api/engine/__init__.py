"""The synchronisation engine: everything between an entry point (a button,
a list action, a scheduled action, a run's Apply) and the models it writes.

Called one way: entry points -> engine -> models. The models keep their own
records (fields, states, alerts, the SQL of their columns, the quant's
inventory apply); the engine decides what to ask, compare and apply, and
never is called back by them.

- :mod:`.config`: the settings, read once per run, typed and checked;
- :mod:`.entry`: the one way in: each entry point calls one function of it,
  which chooses the run and its products, builds the round and runs it;
- :mod:`.round`: a run's products in batches, and the commit policy;
- :mod:`.changes`: what the API's listing says changed (a round of changes);
- :mod:`.answers`: the API's answers: the next batch's fetched ahead, or
  the listing read once;
- :mod:`.batch`: one batch, in sequence: refuse, fetch, lock, convert,
  compare, brake, apply or plan;
- :mod:`.syncable`: what a batch can sync: the products refused, the API's
  quantity in each product's unit;
- :mod:`.brake`: whether a run is held before its next batch is applied;
- :mod:`.locations`: a batch of a company that maps the API's locations;
- :mod:`.recorder`: lines, counters, chatter and the products' status;
- :mod:`.messages`: what the sync says about a product;
- :mod:`.reasons`: sync-cli's reason codes, worded in the user's language;
- :mod:`.alerts`: what a run's alert says, by trigger and issue;
- :mod:`.types`: the small named types they hand to each other.

Plain Python classes rather than an AbstractModel: a round keeps state
across its batches (the settings read once, the fetch running ahead, the
products to try again), which as model methods would be threaded through
arguments and closures. What another addon would extend stays on the models
(which products a synchronisation takes, the quant's apply, the run's
alerts).
"""

from .config import read_brake, read_cli_settings, read_config, read_listing_settings, read_setting
from .entry import changes_round, notified_round, run_products, scheduled_round, sync_again, sync_now
from .round import SyncRound, as_variants
