from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


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
    def _get_api_sync_on_hand_at(self, products, locations):
        """On-hand quantity of each product at each of ``locations`` and
        below, in one query. ``locations`` do not contain each other.

        :return: ``{(product_id, location_id): quantity}``, by IDs: a batch
            reads thousands of them
        """
        # The domain and its record rules as _read_group has them, without
        # a record per group: a batch has thousands of them.
        query = self._search([("product_id", "in", products.ids), ("location_id", "child_of", locations.ids)])
        query.groupby = SQL("1, 2")
        self.flush_model(["product_id", "location_id", "quantity"])
        self.env.cr.execute(
            query.select(
                SQL.identifier(query.table, "product_id"),
                SQL.identifier(query.table, "location_id"),
                SQL("SUM(%s)", SQL.identifier(query.table, "quantity")),
            )
        )
        groups = self.env.cr.fetchall()
        mapped = set(locations.ids)
        on_hand = dict.fromkeys(((p, loc) for p in products.ids for loc in locations.ids), 0.0)
        innermost = {}
        quant_locations = self.env["stock.location"].browse({location_id for _p, location_id, _q in groups})
        quant_locations.fetch(["parent_path"])
        for quant_location in quant_locations:
            # The innermost of ``locations`` above the quant's (there is one).
            ancestors = [int(part) for part in quant_location.parent_path.split("/") if part]
            innermost[quant_location.id] = next(id_ for id_ in reversed(ancestors) if id_ in mapped)
        for product_id, location_id, quantity in groups:
            on_hand[product_id, innermost[location_id]] += quantity or 0.0
        return on_hand

    @api.model
    def _api_sync_apply_inventory(self, changes, location):
        """Count each product at ``location`` and apply the counts, checking that stock moved.

        :param changes: ``{product: StockChange}``
        :return: ``{product: stock.move}``, the inventory move of each product
        :raises UserError: Odoo did not apply the counts as asked
        """
        moves = self._api_sync_apply_inventory_at({(product, location): change for product, change in changes.items()})
        return {product: move for (product, _location), move in moves.items()}

    @api.model
    def _api_sync_apply_inventory_at(self, changes):
        """Count each product at each location and apply the counts, checking that stock moved.

        The counts are those Odoo's "set the counted quantity, then apply"
        makes, prepared for the whole batch at once (one search, one write per
        distinct counted quantity) instead of one quant creation per product,
        and applied by one ``action_apply_inventory``: one done inventory move
        and move line per product and location, with the same quants and
        valuation.

        Only the difference is applied, on the location's own quant: stock
        kept in sub-locations stays where it is.

        :param changes: ``{(product, location): StockChange}``, the locations
            not containing each other
        :return: ``{(product, location): stock.move}``, the inventory move of each
        :raises UserError: Odoo did not apply the counts as asked
        """
        products = self.env["product.product"].concat(*{product: None for product, _location in changes})
        locations = self.env["stock.location"].concat(*{location: None for _product, location in changes})
        Quant = self.with_context(inventory_mode=True, inventory_name=_("Stock API synchronisation"))
        count_quants = Quant._get_api_sync_count_quants_at(list(changes))
        counted = defaultdict(list)
        for key, change in changes.items():
            quant = count_quants[key]
            counted[quant.quantity + change.quantity - change.on_hand].append(quant.id)
        # Who counted, and when: in the same write as the count.
        stamp = {"user_id": self.env.user.id, "inventory_date": fields.Date.today()}
        for inventory_quantity, quant_ids in counted.items():
            Quant.sudo().browse(quant_ids).write({"inventory_quantity": inventory_quantity, **stamp})
        quants = Quant.browse([count_quants[key].id for key in changes])
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM stock_move")
        [last_move_id] = self.env.cr.fetchone()
        # Odoo's apply reads a column of each product on its own (the lot
        # properties of the quant it creates): read them all in one query.
        products.fetch()
        result = quants.action_apply_inventory()
        if isinstance(result, dict):
            raise UserError(_("Odoo reported a conflict with an inventory count in progress; nothing was applied."))
        on_hand = self._get_api_sync_on_hand_at(products, locations)
        for (product, location), change in changes.items():
            if product.uom_id.compare(on_hand[product.id, location.id], change.quantity) != 0:
                raise UserError(
                    _("The inventory adjustment of %(product)s did not take effect.", product=product.display_name)
                )
        # The moves this apply made: the newest inventory moves of these
        # products (another transaction's are not visible to this one), at
        # the location counted (from it, or into it).
        moves = (
            self.env["stock.move"]
            .sudo()
            .search_fetch(
                [("id", ">", last_move_id), ("product_id", "in", products.ids), ("is_inventory", "=", True)],
                ["product_id", "location_id", "location_dest_id"],
            )
        )
        found = {}
        for move in moves:
            for location in (move.location_dest_id, move.location_id):
                if (move.product_id, location) in changes:
                    found[move.product_id, location.with_env(self.env)] = move
        return found

    @api.model
    def _get_api_sync_count_quants(self, products, location):
        """The quant an inventory count of each product at ``location`` sets.

        :return: ``{product: quant}``, each quant as superuser
        """
        quants = self._get_api_sync_count_quants_at([(product, location) for product in products])
        return {product: quant for (product, _location), quant in quants.items()}

    @api.model
    def _get_api_sync_count_quants_at(self, keys):
        """The quant an inventory count of each product at each location sets.

        The one Odoo's counting picks (``stock.quant.create`` in inventory
        mode): the product's quant at the location itself, without lot,
        package or owner, the first one in removal order should there be
        several, or a new empty one.

        :param keys: ``[(product, location)]``
        :return: ``{(product, location): quant}``, each quant as superuser
        """
        product_ids = list({product.id for product, _location in keys})
        location_ids = list({location.id for _product, location in keys})
        found = defaultdict(list)
        for quant in self.search_fetch(
            [
                ("product_id", "in", product_ids),
                ("location_id", "in", location_ids),
                ("lot_id", "=", False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            ["product_id", "location_id", "quantity"],
        ):
            found[quant.product_id.id, quant.location_id.id].append(quant)
        result = {}
        missing = []
        for product, location in keys:
            candidates = found.get((product.id, location.id))
            if not candidates:
                missing.append((product, location))
            elif len(candidates) == 1:
                result[product, location] = candidates[0].sudo()
            else:
                result[product, location] = self._gather(product, location, strict=True)[0].sudo()
        if missing:
            created = self.sudo().create(
                [{"product_id": product.id, "location_id": location.id} for product, location in missing]
            )
            result.update(zip(missing, created, strict=True))
        return result
