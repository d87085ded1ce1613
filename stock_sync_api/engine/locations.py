"""A batch of a company that maps the stock API's locations to its own
(``stock.sync.location``): each mapped location of a product is set to the
sum of its codes' quantities.

- on hand is compared at each mapped location and below, and the difference
  applied at the location itself: one run line per location changed;
- a mapped code that a complete answer does not give is 0 there; an answer
  that gives only some locations (a listing of changes read per location)
  leaves the others as they are;
- an answer without quantities per location is the product's error;
- codes that no mapping knows are counted, and named once by the run;
- the brake judges each product on its mapped locations together.
"""

import logging
from collections import defaultdict
from typing import NamedTuple

from odoo.exceptions import UserError

from . import messages
from .batch import BatchSync, holds
from .types import StockChange, SyncOutcome

_logger = logging.getLogger(__name__)


class LocationChanges(NamedTuple):
    """How a product's mapped locations compare with the stock API's."""

    #: ``{location: StockChange}`` of every mapped location compared.
    compared: dict

    @property
    def changes(self):
        """``{location: StockChange}`` of the locations whose on-hand differs."""
        return {location: change for location, change in self.compared.items() if change.on_hand != change.quantity}

    @property
    def on_hand(self):
        return sum(change.on_hand for change in self.compared.values())

    @property
    def quantity(self):
        return sum(change.quantity for change in self.compared.values())

    @property
    def drops_to_zero(self):
        """The product's stock, over its mapped locations together, drops to zero."""
        return self.on_hand > 0 and self.quantity == 0


class Mapping:
    """A company's mappings: ``{code: location}``, and the codes of each location."""

    def __init__(self, by_code):
        self.by_code = by_code
        self.codes = defaultdict(list)
        for code, location in by_code.items():
            self.codes[location].append(code)
        self.locations = next(iter(by_code.values())).browse([location.id for location in self.codes])


def company_mapping(env):
    """The :class:`Mapping` of ``env.company``, or None when it maps no location."""
    by_code = env["stock.sync.location"]._get_api_sync_mapping(env.company)
    return Mapping(by_code) if by_code else None


def make_batch_sync(run, *args, **kwargs):
    """The batch of ``run``'s company (``run.env.company``): per location when it maps locations."""
    mapping = company_mapping(run.env)
    if mapping is None:
        return BatchSync(run, *args, **kwargs)
    return LocationBatchSync(mapping, run, *args, **kwargs)


class LocationBatchSync(BatchSync):
    """One batch of a company with mappings: see the module."""

    def __init__(self, mapping, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        #: ``{product_id: {code: quantity}}``: the quantities at codes no mapping knows.
        self.unmapped = {}

    def sync(self, index, products):
        outcomes = super().sync(index, products)
        # Counted once per product: those tried again are counted then.
        counts = defaultdict(int)
        for product_id, quantities in self.unmapped.items():
            if outcomes.get(product_id) and outcomes[product_id].state != "moved":
                for code, quantity in quantities.items():
                    counts[code] += quantity > 0
        if counts:
            self.run._add_unmapped_locations(counts)
        return outcomes

    def _target(self):
        # The locations are the mapping's: no sync location is needed.
        return None

    def _quantities(self, products, results, outcomes):
        """The API's quantity at each mapped location of each product, in its
        unit; the others' errors go to ``outcomes``.

        :return: ``{product: {location: quantity}}``, only the locations the
            answer gives (all of them, unless it gives only some)
        """
        answered = {
            product: results[product.api_external_id]
            for product in products
            if results[product.api_external_id].ok and results[product.api_external_id].locations is not None
        }
        # The others: the base class's errors, or no quantities per location.
        for product in products:
            if product not in answered:
                result = results[product.api_external_id]
                if result.ok:
                    outcomes[product.id] = SyncOutcome("error", no_locations_message(self.env, self.env.company))
                    _logger.warning(
                        "Stock API sync of product %r (external ID %r): no quantities per location, "
                        "while its company %r maps the API's locations",
                        product.display_name,
                        product.api_external_id,
                        self.env.company.name,
                    )
        super()._quantities(products.filtered(lambda p: p not in answered and p.id not in outcomes), results, outcomes)
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        quantities = {}
        for product, result in answered.items():
            known = self.mapping.by_code
            unmapped = {code: quantity for code, quantity in result.locations.items() if code not in known}
            if unmapped:
                self.unmapped[product.id] = unmapped
            try:
                quantities[product] = self._located(product, result, digits)
            except UserError as exc:
                outcomes[product.id] = SyncOutcome("error", exc.args[0])
        return quantities

    def _located(self, product, result, digits):
        """``{location: quantity}`` of ``product``'s answer ``result``.

        :raises UserError: a quantity cannot be held, or a location some of
            whose codes only a partial answer gives
        """
        located = {}
        given = result.locations
        for location, codes in self.mapping.codes.items():
            if result.locations_partial:
                listed = [code for code in codes if code in given]
                if not listed:
                    continue  # not listed as changed: left as it is
                if len(listed) < len(codes):
                    raise UserError(partial_codes_message(self.env, location, codes))
            located[location] = self._convert(product, sum(given.get(code, 0.0) for code in codes), digits)
        return located

    def _compare(self, quantities, location, outcomes):
        """Compare each product's quantities with its on-hand at each mapped
        location and below; record those already up to date in ``outcomes``.

        :param quantities: ``{product: {location: quantity}}``
        :return: ``{product: LocationChanges}`` of the others
        """
        if not quantities:
            return {}
        products = self.env["product.product"].concat(*quantities)
        on_hand = self.env["stock.quant"]._get_api_sync_on_hand_at(products, self.mapping.locations)
        up_to_date = SyncOutcome("ok", self.env._("Up to date: on hand matches the stock API."))
        changes = {}
        for product, located in quantities.items():
            compared = {}
            differs = False
            for loc, quantity in located.items():
                before = on_hand[product.id, loc.id]
                same = holds(product, before, quantity)
                # Equal to the unit's precision: the same, for the apply.
                compared[loc] = StockChange(quantity if same else before, quantity)
                differs = differs or not same
            if differs:
                changes[product] = LocationChanges(compared)
            else:
                outcomes[product.id] = up_to_date
        return changes

    def _plan(self, changes):
        return {
            product.id: SyncOutcome(
                "planned",
                locations_message(product, change, applied=False),
                change,
                locations=tuple((loc, loc_change, None) for loc, loc_change in change.changes.items()),
            )
            for product, change in changes.items()
        }

    def _apply_inventory(self, changes, location):
        """Apply every changed location of ``changes`` (``{product: LocationChanges}``) at once.

        :return: ``{(product, location): stock.move}``
        """
        at = {
            (product, loc): loc_change
            for product, change in changes.items()
            for loc, loc_change in change.changes.items()
        }
        return self.env["stock.quant"]._api_sync_apply_inventory_at(at)

    def _applied(self, product, change, moves):
        located = tuple(
            (loc, loc_change, moves[product, loc].id if (product, loc) in moves else None)
            for loc, loc_change in change.changes.items()
        )
        return SyncOutcome("ok", locations_message(product, change), change, locations=located)


def locations_message(product, change, applied=True):
    """``WH/Stock 30 -> 30, LYON/Stock 10 -> 20 Units``: what each mapped
    location compared got (or would get)."""
    env = product.env
    parts = ", ".join(
        env._(
            "%(location)s %(before)s -> %(after)s",
            location=location.display_name,
            before=messages.format_quantity(product, loc_change.on_hand),
            after=messages.format_quantity(product, loc_change.quantity),
        )
        for location, loc_change in sorted(change.compared.items(), key=lambda item: item[0].display_name)
    )
    if applied:
        return env._("%(locations)s %(uom)s", locations=parts, uom=product.uom_id.name)
    return env._("%(locations)s %(uom)s, not applied", locations=parts, uom=product.uom_id.name)


def no_locations_message(env, company):
    return env._(
        "The stock API gave no quantity per location for this product, while its company %(company)s maps the "
        "API's locations to its own (Inventory > Configuration > API Locations): nothing was applied.",
        company=company.name,
    )


def partial_codes_message(env, location, codes):
    return env._(
        "The listing of changes gives only some of the API locations mapped to %(location)s (%(codes)s): "
        "their sum is not known, nothing was applied. The next full round synchronises it.",
        location=location.display_name,
        codes=", ".join(sorted(codes)),
    )
