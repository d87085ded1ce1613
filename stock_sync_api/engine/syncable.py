"""What a batch can sync: the products whose quantity the inventory
adjustment can set, and the API's quantity of each in its own unit."""

import logging
import math

from odoo import _
from odoo.exceptions import UserError
from odoo.tools import float_round

from . import messages
from .types import SyncOutcome

_logger = logging.getLogger(__name__)


class SyncableBatch:
    """The base of :class:`~.batch.BatchSync`: what of a batch can be synced.
    Its subclass sets ``env``, the batch's (in its company)."""

    def _refusals(self, products):
        """Products whose quantity the inventory adjustment cannot set safely.

        :return: ``{product_id: SyncOutcome}``
        """
        refused = {}
        for product in products:
            # Read on the template: a variant's inherited fields cost a
            # computation each (see batch.prefetch).
            template = product.product_tmpl_id
            if not template.is_storable:
                message = _("This product does not track inventory: enable “Track Inventory” to synchronise it.")
            elif template.tracking != "none":
                message = _("This product is tracked by lots or serial numbers, which the stock API does not give.")
            else:
                continue
            refused[product.id] = SyncOutcome("error", message)
        return refused

    def _quantities(self, products, results, outcomes):
        """The API's quantity of each product, in its unit; the others' errors go to ``outcomes``.

        :param results: ``{external_id: FetchResult}``
        :return: ``{product: quantity}``
        """
        quantities = {}
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        for product in products:
            result = results[product.api_external_id]
            if result.ok and result.locations_partial:
                # Added up from a listing of changes read per location.
                outcomes[product.id] = SyncOutcome("error", partial_total_message(self.env))
            elif result.ok:
                try:
                    quantities[product] = self._convert(product, result.quantity, digits)
                except UserError as exc:
                    outcomes[product.id] = SyncOutcome("error", exc.args[0])
            else:
                message = messages.fetch_error_message(self.env, result)
                outcomes[product.id] = SyncOutcome("error", message, detail=result.error)
                _logger.warning(
                    "Stock API sync failed for product %r (id %s, external ID %r): %s: %s",
                    product.display_name,
                    product.id,
                    product.api_external_id,
                    result.status,
                    result.error,
                )
        return quantities

    def _convert(self, product, api_quantity, digits):
        """The stock API's quantity of ``product``, in its unit.

        Converted by Odoo's units of measure from the API unit, when one is
        set. Never rounded: a quantity that the 'Product Unit' precision cannot
        hold exactly is refused.

        :param digits: the decimals of the 'Product Unit' precision, which
            every unit shares (``uom.uom.round``)
        :raises UserError: the product's unit cannot hold the quantity exactly
        """
        quantity = api_quantity
        template = product.product_tmpl_id
        api_uom = template.api_uom_id
        if api_uom and api_uom != template.uom_id:
            quantity = api_uom._compute_quantity(api_quantity, template.uom_id, round=False)
        elif quantity % 1.0 == 0.0:
            # A whole number is held as it is (+ 0.0: never -0).
            return float(quantity) + 0.0
        rounded = float_round(quantity, precision_digits=digits)
        if not math.isclose(quantity, rounded, rel_tol=1e-12, abs_tol=1e-9):
            raise UserError(
                _(
                    "The stock API's quantity %(quantity)s %(uom)s cannot be held exactly by Odoo, which counts "
                    "products to %(digits)s decimals (decimal precision “Product Unit”): not applied.",
                    quantity=f"{quantity:.{digits + 6}f}".rstrip("0").rstrip("."),
                    uom=product.uom_id.name,
                    digits=digits,
                )
            )
        return rounded


def partial_total_message(env):
    """Why a product of a company that maps no location is not synced from a
    listing of changes read per location."""
    return env._(
        "The listing of changes gives this product's quantity at some of its locations only, and its company "
        "maps no API location: its total is not known, nothing was applied. The next full round synchronises it."
    )
