from . import test_access
from . import test_cron
from . import test_external_id
from . import test_faults
from . import test_settings
from . import test_sync
from . import test_tour
from . import test_translation
