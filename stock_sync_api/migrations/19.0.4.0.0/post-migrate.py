"""After the models are updated: a product that had an external ID and
several variants keeps none, and its chatter says which ID it had and what
to do. Each product's status is summarised from its variants'."""

from markupsafe import Markup

from odoo import SUPERUSER_ID, api

UNPLACED_TABLE = "stock_sync_api_unplaced_external_id"


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT to_regclass(%s)", (UNPLACED_TABLE,))
    if not cr.fetchone()[0]:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(f"SELECT template_id, external_id FROM {UNPLACED_TABLE}")
    unplaced = dict(cr.fetchall())
    Template = env["product.template"].with_context(active_test=False)
    for template in Template.browse(list(unplaced)).exists():
        template.message_post(
            body=Markup("<p>%s</p>")
            % env._(
                "The stock API synchronisation now takes each variant under its own external ID. This product "
                "had the external ID %(external_id)s and several variants: no variant took it. Set it, or each "
                "variant's own ID, on the right variant (Product Variants, API Sync page).",
                external_id=unplaced[template.id],
            ),
            subtype_xmlid="mail.mt_note",
        )
    cr.execute(f"DROP TABLE {UNPLACED_TABLE}")
    # The product's stored ID and status, computed from its variants from now on.
    templates = Template.search([])
    templates._compute_api_external_id()
    templates.flush_recordset(["api_external_id"])
    templates._api_sync_summarise_status()
