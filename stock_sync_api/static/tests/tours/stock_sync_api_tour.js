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
            trigger: ".o_notification:contains('En stock 40 -> 50 Unité(s)')",
        },
        ...pageAfterSync("Synchronisé"),
        {
            content: "The message says what changed",
            trigger: ".o_form_view .o_field_widget[name='api_sync_message']:contains('En stock 40 -> 50 Unité(s)')",
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

/*
 * Tours of the synchronisations (Inventaire > Analyse > Synchronisations API),
 * as the same French stock manager sees them. tests/test_tour.py prepares a
 * scheduled run that the brake held (the stock API answers 0 for 25 products
 * with stock), and checks the database afterwards.
 */

const RUN_FORM = ".o_form_view:has(.o_field_widget[name='line_ids'])";
const LINES = `${RUN_FORM} .o_field_widget[name='line_ids']`;
const APPLY_BUTTON = `${RUN_FORM} .o_statusbar_buttons button[name='action_apply']:contains('Appliquer')`;
const DISCARD_BUTTON = `${RUN_FORM} .o_statusbar_buttons button[name='action_discard']:contains('Abandonner')`;
const MOVES_BUTTON = `${RUN_FORM} .oe_stat_button[name='action_view_moves']:contains("Mouvements d'inventaire")`;

/** A row of the run list, by what its columns show. */
function runRow(trigger, state) {
    return `.o_list_view .o_data_row:has(td[name='trigger']:contains('${trigger}')):has(td[name='state']:contains('${state}'))`;
}

/** A step that waits for the run's status bar to show `state` as the current one. */
function runState(state) {
    return {
        content: `The run is "${state}"`,
        trigger: `${RUN_FORM} .o_statusbar_status .o_arrow_button_current:contains('${state}')`,
    };
}

/** A step that waits for a label of the run form. */
function formLabel(label) {
    return {
        content: `The form has the label "${label}"`,
        trigger: `${RUN_FORM} .o_form_label:contains("${label}")`,
    };
}

/** A step that waits for a column header of the list `within`. */
function columnHeader(within, label) {
    return {
        content: `The list has the column "${label}"`,
        trigger: `${within} thead th:contains("${label}")`,
    };
}

/** A step that fails unless the run's lines all show `state`, and there are `count` of them. */
function allLines(count, state) {
    return {
        content: `${count} lines, all "${state}"`,
        trigger: `${LINES} .o_data_row td[name='state']:contains('${state}')`,
        run() {
            const rows = [...document.querySelectorAll(`${LINES} .o_data_row`)];
            const states = rows.map((row) => row.querySelector("td[name='state']").textContent.trim());
            if (rows.length !== count || states.some((text) => text !== state)) {
                throw new Error(`the lines show ${JSON.stringify(states)}, expected ${count} times "${state}"`);
            }
        },
    };
}

registry.category("web_tour.tours").add("stock_sync_api_tour_run_list", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Inventaire",
            trigger: ".o-dropdown--menu .dropdown-item[data-menu-xmlid='stock.menu_stock_root']:contains('Inventaire')",
            run: "click",
        },
        {
            content: "Open the Analyse menu",
            trigger: ".o_menu_sections button[data-menu-xmlid='stock.menu_warehouse_report']:contains('Analyse')",
            run: "click",
        },
        {
            content: "Open Synchronisations API",
            trigger: ".o-dropdown--menu .dropdown-item[data-menu-xmlid='stock_sync_api.menu_stock_sync_run']:contains('Synchronisations API')",
            run: "click",
        },
        {
            content: "The list is titled in French",
            trigger: ".o_breadcrumb:contains('Synchronisations API')",
        },
        ...["Référence", "Déclencheur", "Utilisateur", "Statut", "Début", "Progression", "Modifiés", "Erreurs"].map(
            (label) => columnHeader(".o_list_view", label)
        ),
        {
            content: "The held scheduled run is listed",
            trigger: runRow("Planifiée", "Retenue"),
        },
        {
            content: "The manual run is listed, done, its progress bar full",
            trigger: `${runRow("Manuelle", "Terminée")} td[name='progress'] .o_progress[aria-valuenow='100']`,
        },
        {
            content: "Open the manual run",
            trigger: `${runRow("Manuelle", "Terminée")} td[name='name']`,
            run: "click",
        },
        runState("Terminée"),
        ...["Déclencheur", "Utilisateur", "Début", "Fin", "Progression", "Produits", "Traités", "Modifiés", "À jour"].map(
            formLabel
        ),
        {
            content: "Its trigger is in French",
            trigger: `${RUN_FORM} .o_field_widget[name='trigger']:contains('Manuelle')`,
        },
        {
            content: "A done run can be neither applied nor discarded",
            trigger: `${RUN_FORM}:not(:has(button[name='action_apply'])):not(:has(button[name='action_discard']))`,
        },
        {
            content: "A smart button leads to its inventory move",
            trigger: `${MOVES_BUTTON}:has(.o_stat_value:contains('1'))`,
        },
        {
            content: "The lines are on the Produits page",
            trigger: `${RUN_FORM} .o_notebook .nav-link[name='lines'].active:contains('Produits')`,
        },
        ...["Produit", "ID externe", "Emplacement", "En stock avant", "Quantité API", "Différence", "Statut", "Message"].map(
            (label) => columnHeader(LINES, label)
        ),
        columnHeader(LINES, "Mouvement d'inventaire"),
        {
            content: "The line of the office chair: 40 on hand, 50 in the API, applied",
            trigger: [
                `${LINES} .o_data_row:has(td[name='product_id']:contains('Chaise de bureau'))`,
                ":has(td[name='external_id']:contains('T-RAISE'))",
                ":has(td[name='on_hand']:contains('40'))",
                ":has(td[name='api_quantity']:contains('50'))",
                ":has(td[name='difference']:contains('10'))",
                ":has(td[name='state']:contains('Appliquée'))",
                ":has(td[name='message']:contains('En stock 40 -> 50 Unité(s)'))",
            ].join(""),
        },
        allLines(1, "Appliquée"),
    ],
});

registry.category("web_tour.tours").add("stock_sync_api_tour_apply_held", {
    steps: () => [
        runState("Retenue"),
        {
            content: "The brake's alert is in French",
            trigger: `${RUN_FORM} .alert-warning:contains('Retenue par le frein')`,
        },
        {
            content: "Its trigger is in French",
            trigger: `${RUN_FORM} .o_field_widget[name='trigger']:contains('Planifiée')`,
        },
        allLines(25, "Prévue"),
        {
            content: "A planned line: 5 on hand, 0 in the API",
            trigger: `${LINES} .o_data_row:has(td[name='on_hand']:contains('5')):has(td[name='api_quantity']:contains('0')):has(td[name='difference']:contains('-5'))`,
        },
        {
            content: "Nothing moved yet",
            trigger: `${RUN_FORM}:not(:has(.oe_stat_button[name='action_view_moves']:visible))`,
        },
        {
            content: "It can be discarded",
            trigger: DISCARD_BUTTON,
        },
        {
            content: "Apply it",
            trigger: APPLY_BUTTON,
            run: "click",
        },
        {
            content: "A dialog asks to confirm, in French",
            trigger: ".modal:contains(\"Les produits de cette synchronisation sont relus dans l'API de stock\")",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button.btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "The products are synchronised again: the run is done",
            trigger: `${RUN_FORM} .o_statusbar_status .o_arrow_button_current:contains('Terminée')`,
            timeout: 60000,
        },
        {
            content: "No dialog left open",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The brake is no longer in the way",
            trigger: `${RUN_FORM}:not(:has(.alert-warning:visible)):not(:has(button[name='action_apply']))`,
        },
        formLabel("Appliquée par une personne"),
        allLines(25, "Appliquée"),
        {
            content: "Each line says what changed, in French",
            trigger: `${LINES} .o_data_row td[name='message']:contains('En stock 5 -> 0 Unité(s)'):not(:contains('non appliqué'))`,
        },
        {
            content: "A smart button leads to the 25 inventory moves",
            trigger: `${MOVES_BUTTON}:has(.o_stat_value:contains('25'))`,
        },
    ],
});
