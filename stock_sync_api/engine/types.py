"""Small named types that the parts of the synchronisation engine hand to each other."""

from typing import Any, NamedTuple


class StockChange(NamedTuple):
    """A product whose on-hand differs from what the stock API says."""

    #: On hand at the sync location and below, before the sync.
    on_hand: float
    #: What the stock API says, in the product's unit of measure.
    quantity: float

    @property
    def drops_to_zero(self):
        return self.on_hand > 0 and self.quantity == 0


class SyncOutcome(NamedTuple):
    """How the synchronisation of one product ended."""

    #: ``ok``, ``error``, ``planned`` (a change found and not applied: a
    #: preview, or a run held by the brake), ``busy`` (another sync holds
    #: the product: its status is left to it) or ``moved`` (its stock moved
    #: in another transaction while this one applied it: nothing is
    #: recorded, it is tried again in a new transaction).
    state: str
    message: str
    #: The change found, for products whose stock differs from the API's.
    change: StockChange | None = None
    #: The inventory move that applied the change.
    move_id: int | None = None
    #: For a company that maps the API's locations: each location changed,
    #: ``((location, StockChange, move_id), ...)``; ``change`` is then the
    #: product's mapped locations together (see ``locations.LocationChanges``).
    locations: tuple = ()
    #: sync-cli's own account of an error, in English (for the run line's
    #: details and the log; ``message`` is the user's language).
    detail: str | None = None

    @property
    def changed(self):
        return self.change is not None and self.state == "ok"


class BrakeSettings(NamedTuple):
    """When a run is held rather than applied (system parameters
    ``stock_sync_api.hold_*``)."""

    #: Held when more than this share (in %) of the products compared would drop to zero.
    zero_percent: float
    #: Held when more than this share (in %) of the products compared would change.
    change_percent: float
    #: Runs that compare fewer products are never held.
    min_products: int


class SyncConfig(NamedTuple):
    """What a run reads from the settings once, before its first batch."""

    #: The ``sync-cli`` run's settings (a ``SyncCliSettings``).
    settings: Any
    batch_size: int
    brake: BrakeSettings
    #: How to ask the API: ``per_product`` (``sync-cli fetch``, one request
    #: per product) or ``listing`` (``sync-cli list``).
    mode: str = "per_product"
    #: Where the listing is and how to read it (a ``ListingSettings``).
    listing: Any = None
