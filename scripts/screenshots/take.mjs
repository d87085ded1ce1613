// Takes the addon's screenshots in a running Odoo; run by ../screenshots.sh,
// which prepares the database and passes, in the environment:
//   ODOO_URL, ODOO_DB, ODOO_LOGIN, ODOO_PASSWORD  where and as whom to log in
//   CHROMIUM   the browser executable
//   IDS_FILE   JSON with the ids of "office_chair" and "tshirt" (product.template), "cron"
//              (ir.cron), "done_run" and "held_run" (stock.sync.run)
//   OUT_DIR    where the PNG files go
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set`);
    }
    return value;
};
const url = env("ODOO_URL");
const outDir = env("OUT_DIR");
const ids = JSON.parse(readFileSync(env("IDS_FILE"), "utf8"));
const PRODUCTS = "/odoo/action-stock.product_template_action_product";
const RUNS = "/odoo/action-stock_sync_api.action_stock_sync_run";
const VIEWPORT = { width: 1400, height: 900 };
// The synchronisation forms, wider: their lines have many columns.
const WIDE = { width: 1920, height: 1080 };

const browser = await chromium.launch({ executablePath: env("CHROMIUM"), headless: true });
try {
    const context = await browser.newContext({
        viewport: VIEWPORT,
        locale: "fr-FR",
        timezoneId: "Europe/Paris",
    });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));

    /** Waits until Odoo has nothing left to load and nothing moves. */
    async function settle() {
        // Not "networkidle": Odoo's bus keeps a connection open.
        await page.waitForLoadState("load");
        await page.waitForFunction(() => !document.querySelector(".o_loading_indicator, .o_blockUI"));
        await page.waitForTimeout(500);
    }

    async function shoot(name) {
        await settle();
        const path = join(outDir, `${name}.png`);
        await page.screenshot({ path });
        console.log(`wrote ${path}`);
    }

    // Log in.
    await page.goto(`${url}/web/login?db=${encodeURIComponent(env("ODOO_DB"))}`);
    await page.fill("input[name=login]", env("ODOO_LOGIN"));
    await page.fill("input[name=password]", env("ODOO_PASSWORD"));
    await Promise.all([page.waitForURL(/\/odoo/), page.click("button[type=submit]")]);
    await page.waitForSelector(".o_main_navbar");

    // 1. Product form: "API Synchronisation" page, after clicking "Lancer la synchronisation".
    await page.goto(`${url}${PRODUCTS}/${ids.office_chair}`);
    await page.locator(".o_notebook .nav-link[name=api_sync]").click();
    await page.locator(".o_form_view button[name=action_api_sync]").click();
    const notification = page.locator(".o_notification").first();
    await notification.waitFor();
    await notification.hover(); // keeps it on screen
    await page.locator(".o_field_widget[name=api_sync_state]", { hasText: "Synchronisé" }).waitFor();
    await shoot("product_form");

    // 1b. A product with variants: its "API Synchronisation" page lists each
    // size with its own external ID, after "Lancer la synchronisation".
    await page.goto(`${url}${PRODUCTS}/${ids.tshirt}`);
    await page.locator(".o_notebook .nav-link[name=api_sync]").click();
    await page.locator(".o_form_view button[name=action_api_sync]:visible").click();
    await page.locator(".o_notification").first().waitFor();
    await page.locator("div[name=api_sync_variants] .o_data_row", { hasText: "Synchronisé" }).first().waitFor();
    await shoot("product_variants");

    // 1c. The Product Variants list with its sync columns.
    await page.goto(`${url}/odoo/action-stock.stock_product_normal_action?view_type=list`);
    await page.waitForSelector(".o_list_view .o_data_row");
    await page.locator(".o_searchview_dropdown_toggler").click();
    await page.locator(".o_filter_menu [role=menuitemcheckbox]", { hasText: "A un ID externe" }).click();
    await page.keyboard.press("Escape");
    await shoot("variant_list");

    // 2. Product list: the optional sync columns shown, products with an
    // external ID grouped by sync status.
    await page.goto(`${url}${PRODUCTS}?view_type=list`);
    await page.waitForSelector(".o_list_view .o_data_row");
    await page.locator(".o_optional_columns_dropdown_toggle").click();
    for (const name of ["api_external_id", "api_last_sync_date", "api_sync_state"]) {
        const checkbox = page.locator(`.o-dropdown--menu input[name=${name}]`);
        if (!(await checkbox.isChecked())) {
            await checkbox.click();
        }
    }
    await page.keyboard.press("Escape");
    await page.locator(".o_searchview_dropdown_toggler").click();
    await page.locator(".o_filter_menu [role=menuitemcheckbox]", { hasText: "A un ID externe" }).click();
    await page.locator(".o_group_by_menu [role=menuitemcheckbox]", { hasText: "État de la synchronisation" }).click();
    await page.keyboard.press("Escape");
    await page.waitForSelector(".o_group_header");
    // The never synchronised products, the most, stay folded.
    const groups = await page.locator(".o_group_header").count();
    for (let index = 0; index < groups; index++) {
        const header = page.locator(".o_group_header").nth(index);
        if (!(await header.textContent()).includes("Jamais synchronisé")) {
            await header.click();
            await settle();
        }
    }
    await shoot("product_list");

    // 3. Inventory settings, scrolled to the "API Synchronisation" block, in
    // a taller window so that the whole block shows, down to the brake.
    await page.setViewportSize({ width: VIEWPORT.width, height: 1300 });
    await page.goto(`${url}/odoo/action-stock.action_stock_config_settings`);
    await page.waitForSelector("#api_sync_brake");
    await page.evaluate(() => {
        const setting = document.querySelector("#api_sync_connection");
        const block = setting.closest(".app_settings_block > *, .o_settings_container") || setting;
        (block.previousElementSibling || block).scrollIntoView({ block: "start" });
    });
    await shoot("settings");
    await page.setViewportSize(VIEWPORT);

    // 4. The scheduled action, in developer mode.
    await page.goto(`${url}/odoo/action-base.ir_cron_act/${ids.cron}?debug=1`);
    await page.waitForSelector(".o_form_view .o_field_widget[name=name]");
    await shoot("scheduled_action");

    // 5. Inventory > Reporting > API Synchronisations: the held scheduled
    // synchronisation, the preview, the synchronisations by hand.
    await page.goto(`${url}${RUNS}`);
    await page.waitForSelector(".o_list_view .o_data_row td[name=state]");
    await shoot("run_list");

    // 6. A synchronisation by hand and its lines: what it changed, one error.
    await page.setViewportSize(WIDE);
    await page.goto(`${url}${RUNS}/${ids.done_run}`);
    await page.waitForSelector(".o_form_view .o_field_widget[name=line_ids] .o_data_row");
    await shoot("run_form");

    // 7. The scheduled synchronisation held by the brake, with Apply and Discard.
    await page.goto(`${url}${RUNS}/${ids.held_run}`);
    await page.waitForSelector(".o_form_view button[name=action_apply]");
    await page.waitForSelector(".o_form_view .o_field_widget[name=line_ids] .o_data_row");
    await shoot("run_held");
} catch (error) {
    // What the browser showed when it failed, to see why.
    const failure = join(tmpdir(), "stock_sync_api_screenshot_failure.png");
    for (const context of browser.contexts()) {
        for (const page of context.pages()) {
            await page.screenshot({ path: failure }).catch(() => {});
        }
    }
    console.error(`failed; what the browser showed: ${failure}`);
    throw error;
} finally {
    await browser.close();
}
