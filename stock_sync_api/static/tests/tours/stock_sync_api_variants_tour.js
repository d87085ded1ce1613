import { registry } from "@web/core/registry";

/**
 * A French stock manager opens a T-shirt in three sizes, sees each size's
 * external ID on its "API Synchronisation" page, synchronises the product,
 * and sees each size synchronised (tests/test_variants.py checks the stock).
 */

const PAGE_TAB = ".o_form_view .o_notebook .nav-link[name='api_sync']:contains('API Synchronisation')";
const VARIANTS = ".o_form_view div[name='api_sync_variants'] .o_field_widget[name='product_variant_ids']";
const SYNC_BUTTON = ".o_form_view button[name='action_api_sync']:contains('Lancer la synchronisation'):visible";

function sizeRow(size, externalId, state) {
    return {
        content: `The size ${size}: ${externalId}, ${state}`,
        trigger:
            `${VARIANTS} .o_data_row:has(td:contains('(${size})'))` +
            `:has(td[name='api_external_id']:contains('${externalId}'))` +
            `:has(td[name='api_sync_state']:contains('${state}'))`,
    };
}

registry.category("web_tour.tours").add("stock_sync_api_tour_variants", {
    steps: () => [
        {
            content: "Open the API Synchronisation page",
            trigger: PAGE_TAB,
            run: "click",
        },
        {
            content: "The product has no external ID of its own: its variants have theirs",
            trigger: `.o_form_view:has(${VARIANTS}):not(:has(.o_field_widget[name='api_external_id'] input:visible))`,
        },
        sizeRow("S", "V-TSHIRT-S", "Jamais synchronisé"),
        sizeRow("M", "V-TSHIRT-M", "Jamais synchronisé"),
        sizeRow("L", "V-TSHIRT-L", "Jamais synchronisé"),
        {
            content: "Synchronise every size",
            trigger: SYNC_BUTTON,
            run: "click",
        },
        {
            content: "The notification sums the three sizes up",
            trigger: ".o_notification:contains('3 produits sur 3 synchronisés')",
        },
        sizeRow("S", "V-TSHIRT-S", "Synchronisé"),
        sizeRow("M", "V-TSHIRT-M", "Synchronisé"),
        sizeRow("L", "V-TSHIRT-L", "Synchronisé"),
        {
            content: "The product sums its variants up: synchronised",
            trigger: ".o_form_view .o_field_widget[name='api_sync_state']:contains('Synchronisé')",
        },
    ],
});
