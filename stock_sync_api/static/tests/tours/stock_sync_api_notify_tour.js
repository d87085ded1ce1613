import { registry } from "@web/core/registry";

/**
 * Tours of a product that the stock API notified, as a French stock manager
 * sees its page: before the notification, then after it, once the scheduled
 * action it triggered has run (see TestNotifyTour in tests/test_notify.py, which sends the
 * signed notification and runs the action between the two).
 */

const PAGE_TAB = ".o_form_view .o_notebook .nav-link[name='api_sync']:contains('API Synchronisation')";

/** A step that fails unless the product's on-hand quantity, as shown in French ("1 234,50"), is `quantity`. */
function onHand(quantity) {
    const selector = ".o_field_widget[name='qty_available']";
    return {
        content: `On hand: ${quantity}`,
        trigger: `.o_form_view:has(${selector})`,
        run() {
            const field = this.anchor.querySelector(selector);
            const text = (field.querySelector("input")?.value ?? field.textContent).trim();
            if (Number.parseFloat(text.replace(/[\s\u202f]/g, "").replace(",", ".")) !== quantity) {
                throw new Error(`on hand shows "${text}", expected ${quantity}`);
            }
        },
    };
}

function openPage() {
    return {
        content: "Open the API Synchronisation page",
        trigger: PAGE_TAB,
        run: "click",
    };
}

registry.category("web_tour.tours").add("stock_sync_api_tour_notified_before", {
    steps: () => [
        onHand(40),
        openPage(),
        {
            content: "Never synchronised so far",
            trigger: ".o_form_view .o_field_widget[name='api_sync_state']:contains('Jamais synchronisé')",
        },
    ],
});

registry.category("web_tour.tours").add("stock_sync_api_tour_notified_after", {
    steps: () => [
        onHand(50),
        openPage(),
        {
            content: "Synchronised, without a click",
            trigger: ".o_form_view .o_field_widget[name='api_sync_state']:contains('Synchronisé')",
        },
        {
            content: "The page links to the notified synchronisation",
            trigger: ".o_form_view .o_field_widget[name='api_last_run_id']:contains('SYNC/')",
        },
    ],
});
