import { registry } from "@web/core/registry";

/**
 * Tours of the product form's "API Synchronisation" page, as a French stock
 * manager sees it. They start on the form of a product with an external ID
 * (see tests/test_tour.py, which also checks the database afterwards).
 */

const PAGE_TAB = ".o_form_view .o_notebook .nav-link[name='api_sync']:contains('API Synchronisation')";
const GENERAL_TAB = ".o_form_view .o_notebook .nav-link[name='general_information']";
const INVALID_ANSWER = `:contains("Réponse invalide de l'API de stock")`;
const SYNC_BUTTON = ".o_form_view button[name='action_api_sync']:contains('Lancer la synchronisation')";

/**
 * A step that fails unless the field's displayed text passes `check`. It waits
 * for the field to be in the form, visible or not: an empty read-only field
 * has no size.
 */
function fieldText(name, description, check) {
    const selector = `.o_field_widget[name='${name}']`;
    return {
        content: `${name}: ${description}`,
        trigger: `.o_form_view:has(${selector})`,
        run() {
            const fields = [...this.anchor.querySelectorAll(selector)];
            const field = fields.find((el) => el.getClientRects().length) || fields[0];
            const text = (field.querySelector("input")?.value ?? field.textContent).trim();
            if (!check(text)) {
                throw new Error(`${name} shows "${text}", expected ${description}`);
            }
        },
    };
}

/** A quantity as the French user sees it ("1 234,50"), as a number. */
function parseQuantity(text) {
    return Number.parseFloat(text.replace(/[\s\u202f]/g, "").replace(",", "."));
}

function onHand(quantity, description) {
    return fieldText("qty_available", `${description} (${quantity})`, (text) => parseQuantity(text) === quantity);
}

function openPageAndSync(onHandBefore) {
    return [
        onHand(onHandBefore, "the on-hand quantity before the sync"),
        {
            content: "Open the API Synchronisation page",
            trigger: PAGE_TAB,
            run: "click",
        },
        {
            content: "Never synchronised so far",
            trigger: ".o_form_view .o_field_widget[name='api_sync_state']:contains('Jamais synchronisé')",
        },
        fieldText("api_last_sync_date", "an empty last sync date", (text) => text === ""),
        {
            content: "Run the synchronisation",
            trigger: SYNC_BUTTON,
            run: "click",
        },
    ];
}

/**
 * After the notification the form reloads, keeping the API Synchronisation
 * page open: wait for the new status on it.
 */
function pageAfterSync(state) {
    return [
        {
            content: "The API Synchronisation page is still open",
            trigger: `${PAGE_TAB}.active`,
        },
        {
            content: `After the reload, the status is "${state}"`,
            trigger: `.o_form_view .o_field_widget[name='api_sync_state']:contains('${state}')`,
        },
    ];
}

registry.category("web_tour.tours").add("stock_sync_api_tour_sync", {
    steps: () => [
        ...openPageAndSync(40),
        {
            content: "The notification says what changed",
            trigger: ".o_notification:contains('En stock 40 -> 50')",
        },
        ...pageAfterSync("Synchronisé"),
        {
            content: "The message says what changed",
            trigger: ".o_form_view .o_field_widget[name='api_sync_message']:contains('En stock 40 -> 50')",
        },
        // Odoo shows a read-only date of this year short, e.g. "25 nov., 13:44".
        fieldText("api_last_sync_date", "the date and time of the sync", (text) => /\d{1,2}:\d{2}/.test(text)),
        {
            content: "Back to the general information",
            trigger: GENERAL_TAB,
            run: "click",
        },
        onHand(50, "the API's quantity"),
    ],
});

registry.category("web_tour.tours").add("stock_sync_api_tour_invalid_answer", {
    steps: () => [
        ...openPageAndSync(4),
        {
            content: "The notification is an error",
            trigger: `.o_notification:has(.bg-danger)${INVALID_ANSWER}`,
        },
        {
            content: "Close the error notification",
            trigger: ".o_notification:has(.bg-danger) .o_notification_close",
            run: "click",
        },
        ...pageAfterSync("Erreur"),
        {
            content: "The error message is on the page",
            trigger: `.o_form_view .o_field_widget[name='api_sync_message']${INVALID_ANSWER}`,
        },
        fieldText("api_last_sync_date", "still no last sync date", (text) => text === ""),
        {
            content: "Back to the general information",
            trigger: GENERAL_TAB,
            run: "click",
        },
        onHand(4, "the on-hand quantity, unchanged"),
    ],
});
