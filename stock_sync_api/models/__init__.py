from . import product_product
from . import product_template
from . import res_company
from . import res_config_settings
from . import stock_quant
from . import stock_sync_notification
from . import stock_sync_run
from . import stock_sync_run_line
