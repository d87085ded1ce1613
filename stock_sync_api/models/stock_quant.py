from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _get_api_sync_on_hand(self, products, location):
        """On-hand quantity of each product at ``location`` and below, in one query.

        :return: ``{product: quantity}``
        """
        groups = self._read_group(
            [("product_id", "in", products.ids), ("location_id", "child_of", location.id)],
            ["product_id"],
            ["quantity:sum"],
        )
        on_hand = dict.fromkeys(products, 0.0)
        on_hand.update(groups)
        return on_hand

    @api.model
    def _api_sync_apply_inventory(self, changes, location):
        """Count each product at ``location`` and apply the counts, checking that stock moved.

        The counts are those Odoo's "set the counted quantity, then apply"
        makes, prepared for the whole batch at once (one search, one write per
        distinct counted quantity) instead of one quant creation per product,
        and applied by one ``action_apply_inventory``: one done inventory move
        and move line per product, with the same quants and valuation.

        Only the difference is applied, on the location's own quant: stock
        kept in sub-locations stays where it is.

        :param changes: ``{product: StockChange}``
        :return: ``{product: stock.move}``, the inventory move of each product
        :raises UserError: Odoo did not apply the counts as asked
        """
        products = self.env["product.product"].concat(*changes)
        Quant = self.with_context(inventory_mode=True, inventory_name=_("Stock API synchronisation"))
        count_quants = Quant._get_api_sync_count_quants(products, location)
        counted = defaultdict(list)
        for product, change in changes.items():
            quant = count_quants[product]
            counted[quant.quantity + change.quantity - change.on_hand].append(quant.id)
        for inventory_quantity, quant_ids in counted.items():
            Quant.sudo().browse(quant_ids).write({"inventory_quantity": inventory_quantity})
        quants = Quant.browse([count_quants[product].id for product in changes])
        quants.sudo().write({"user_id": self.env.user.id, "inventory_date": fields.Date.today()})
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM stock_move")
        [last_move_id] = self.env.cr.fetchone()
        result = quants.action_apply_inventory()
        if isinstance(result, dict):
            raise UserError(_("Odoo reported a conflict with an inventory count in progress; nothing was applied."))
        on_hand = self._get_api_sync_on_hand(products, location)
        for product, change in changes.items():
            if product.uom_id.compare(on_hand[product], change.quantity) != 0:
                raise UserError(
                    _("The inventory adjustment of %(product)s did not take effect.", product=product.display_name)
                )
        # The moves this apply made: the newest inventory moves of these
        # products (another transaction's are not visible to this one).
        moves = (
            self.env["stock.move"]
            .sudo()
            .search_fetch(
                [("id", ">", last_move_id), ("product_id", "in", products.ids), ("is_inventory", "=", True)],
                ["product_id"],
            )
        )
        return {move.product_id: move for move in moves}

    @api.model
    def _get_api_sync_count_quants(self, products, location):
        """The quant an inventory count of each product at ``location`` sets.

        The one Odoo's counting picks (``stock.quant.create`` in inventory
        mode): the product's quant at the location itself, without lot,
        package or owner, the first one in removal order should there be
        several, or a new empty one.

        :return: ``{product: quant}``, each quant as superuser
        """
        found = defaultdict(list)
        for quant in self.search_fetch(
            [
                ("product_id", "in", products.ids),
                ("location_id", "=", location.id),
                ("lot_id", "=", False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            ["product_id", "quantity"],
        ):
            found[quant.product_id].append(quant)
        result = {}
        missing = []
        for product in products:
            candidates = found.get(product)
            if not candidates:
                missing.append(product)
            elif len(candidates) == 1:
                result[product] = candidates[0].sudo()
            else:
                result[product] = self._gather(product, location, strict=True)[0].sudo()
        if missing:
            created = self.sudo().create([{"product_id": p.id, "location_id": location.id} for p in missing])
            result.update(zip(missing, created, strict=True))
        return result
