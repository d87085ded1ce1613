{
    "name": "Stock Sync API",
    "summary": "Keep on-hand quantities equal to what an external stock API says",
    "version": "19.0.4.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "GlobalShop",
    "depends": ["stock", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "security/stock_sync_run_security.xml",
        "security/stock_sync_location_security.xml",
        "views/stock_sync_run_views.xml",
        "views/stock_sync_run_line_views.xml",
        "views/stock_sync_location_views.xml",
        "views/product_template_views.xml",
        "views/res_config_settings_views.xml",
        "data/ir_actions_server_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_sequence_data.xml",
    ],
    "demo": [
        "demo/product_demo.xml",
        "demo/stock_sync_location_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "stock_sync_api/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
