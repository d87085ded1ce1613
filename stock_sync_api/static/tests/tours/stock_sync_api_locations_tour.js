import { registry } from "@web/core/registry";

/**
 * A French stock manager maps a code of the stock API to an Odoo location in
 * the editable list Inventory > Configuration > API Locations
 * (tests/test_locations.py checks the mapping saved).
 */

const ROW = ".o_list_view .o_data_row.o_selected_row";

registry.category("web_tour.tours").add("stock_sync_api_tour_locations", {
    steps: () => [
        {
            content: "The list of the API's locations, in French",
            trigger: ".o_breadcrumb:contains('Emplacements de l'), .o_control_panel:contains('Emplacements de l')",
        },
        {
            content: "The mapping already there",
            trigger: ".o_data_row:has(td[name='code']:contains('PARIS')):has(td[name='location_id']:contains('WH/Stock'))",
        },
        {
            content: "Add a mapping",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "The API's code",
            trigger: `${ROW} .o_field_widget[name='code'] input`,
            run: "edit MARSEILLE",
        },
        {
            content: "Look for Lyon's stock location",
            trigger: `${ROW} .o_field_widget[name='location_id'] input`,
            run: "edit LYN",
        },
        {
            content: "Choose it",
            trigger: ".o-autocomplete--dropdown-item:contains('LYN/Stock')",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "The new mapping is saved",
            trigger:
                ".o_data_row:not(.o_selected_row):has(td[name='code']:contains('MARSEILLE'))" +
                ":has(td[name='location_id']:contains('LYN/Stock'))",
        },
    ],
});
