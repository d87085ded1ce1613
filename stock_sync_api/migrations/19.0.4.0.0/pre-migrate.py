"""The external ID and the synchronisation status move from the product
(``product.template``) to its variant (``product.product``).

Before the models are updated: each product's ID, status and last run are
copied to its only variant, and run lines and queued notifications name
that variant. The products that had an ID and several variants (refused
until now) are noted, for the post-migration to say so in their chatter.
"""

import logging

_logger = logging.getLogger(__name__)

#: The columns a variant gets, with their type.
VARIANT_COLUMNS = {
    "api_external_id": "varchar",
    "api_sync_state": "varchar",
    "api_sync_message": "text",
    "api_last_sync_date": "timestamp",
    "api_last_attempt_date": "timestamp",
    "api_last_run_id": "int4",
    "api_sync_excluded": "bool",
}

#: Where the products with an ID and several variants are kept until the post-migration.
UNPLACED_TABLE = "stock_sync_api_unplaced_external_id"


def column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s", (table, column)
    )
    return bool(cr.fetchone())


def the_variant_of_each_product(cr):
    """Create the temporary table ``sync_variant(template_id, product_id)``:
    the variant that takes a product's ID. The product's only active
    variant, as the synchronisation took until now; for an archived product,
    its only variant."""
    cr.execute("DROP TABLE IF EXISTS sync_variant")
    cr.execute(
        """
        CREATE TEMP TABLE sync_variant ON COMMIT DROP AS
        SELECT template.id AS template_id,
               CASE WHEN count(*) FILTER (WHERE variant.active) = 1
                    THEN min(variant.id) FILTER (WHERE variant.active)
                    WHEN count(*) = 1 AND NOT template.active THEN min(variant.id)
               END AS product_id
          FROM product_template AS template
          JOIN product_product AS variant ON variant.product_tmpl_id = template.id
         GROUP BY template.id
        """
    )


def move_to_variants(cr):
    for column, sql_type in VARIANT_COLUMNS.items():
        cr.execute(f"ALTER TABLE product_product ADD COLUMN IF NOT EXISTS {column} {sql_type}")
    cr.execute("UPDATE product_product SET api_sync_state = 'never' WHERE api_sync_state IS NULL")
    the_variant_of_each_product(cr)
    cr.execute(
        """
        UPDATE product_product AS variant
           SET api_external_id = template.api_external_id,
               api_sync_state = COALESCE(template.api_sync_state, 'never'),
               api_sync_message = template.api_sync_message,
               api_last_sync_date = template.api_last_sync_date,
               api_last_attempt_date = template.api_last_attempt_date,
               api_last_run_id = template.api_last_run_id
          FROM sync_variant, product_template AS template
         WHERE sync_variant.product_id = variant.id
           AND template.id = sync_variant.template_id
           AND template.api_external_id IS NOT NULL
        """
    )
    moved = cr.rowcount
    cr.execute(f"CREATE TABLE IF NOT EXISTS {UNPLACED_TABLE} (template_id int4 PRIMARY KEY, external_id varchar)")
    cr.execute(
        f"""
        INSERT INTO {UNPLACED_TABLE} (template_id, external_id)
        SELECT template.id, template.api_external_id
          FROM product_template AS template
          JOIN sync_variant ON sync_variant.template_id = template.id
         WHERE template.api_external_id IS NOT NULL AND sync_variant.product_id IS NULL
        ON CONFLICT DO NOTHING
        """
    )
    unplaced = cr.rowcount
    _logger.info(
        "Stock API: %d external IDs moved to their product's variant, %d products with several variants keep none",
        moved,
        unplaced,
    )


def name_the_variants(cr, table, nullable):
    """Give the rows of ``table`` (which name a product) the variant of that product."""
    if not column_exists(cr, table, "product_tmpl_id"):
        return
    cr.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS product_id int4")
    cr.execute(
        f"""
        UPDATE {table} AS row
           SET product_id = COALESCE(
                   sync_variant.product_id,
                   (SELECT min(id) FROM product_product WHERE product_tmpl_id = row.product_tmpl_id))
          FROM sync_variant
         WHERE sync_variant.template_id = row.product_tmpl_id AND row.product_id IS NULL
        """
    )
    if nullable:
        cr.execute(f"ALTER TABLE {table} ALTER COLUMN product_tmpl_id DROP NOT NULL")


def migrate(cr, version):
    if not version or not column_exists(cr, "product_template", "api_external_id"):
        return
    move_to_variants(cr)
    name_the_variants(cr, "stock_sync_run_line", nullable=False)
    # The queue now holds variants: its product column goes.
    name_the_variants(cr, "stock_sync_notification", nullable=True)
    if column_exists(cr, "stock_sync_notification", "product_tmpl_id"):
        cr.execute("ALTER TABLE stock_sync_notification DROP COLUMN product_tmpl_id CASCADE")
    if column_exists(cr, "product_template_stock_sync_run_rel", "product_template_id"):
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS product_product_stock_sync_run_rel (
                stock_sync_run_id int4 NOT NULL, product_product_id int4 NOT NULL,
                PRIMARY KEY (stock_sync_run_id, product_product_id))
            """
        )
        cr.execute(
            """
            INSERT INTO product_product_stock_sync_run_rel (stock_sync_run_id, product_product_id)
            SELECT rel.stock_sync_run_id, sync_variant.product_id
              FROM product_template_stock_sync_run_rel AS rel
              JOIN sync_variant ON sync_variant.template_id = rel.product_template_id
             WHERE sync_variant.product_id IS NOT NULL
            ON CONFLICT DO NOTHING
            """
        )
