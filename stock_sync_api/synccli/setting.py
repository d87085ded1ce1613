"""One setting of the synchronisation: a ``stock_sync_api.<key>`` system
parameter, its type, default, range or choices, who may read it, its rule
and its settings form field (:class:`Setting`). The table of every setting
is :mod:`.settings`.
"""

import math
import re
from dataclasses import dataclass

#: Prefix of the system parameters.
PARAM_PREFIX = "stock_sync_api."


@dataclass(frozen=True)
class Setting:
    """One ``stock_sync_api.<key>`` system parameter, and its field on the settings form."""

    key: str
    #: Its value when the parameter is unset; its type is the setting's type
    #: (``str``, ``int`` or ``float``), and that of its form field (a text,
    #: a whole number or a number; a choice when it has choices).
    default: object
    #: Accepted range of a number, both ends included.
    low: float | None = None
    high: float | None = None
    #: Accepted values of a choice, each with its label on the form:
    #: ``(value, label)`` pairs.
    choices: tuple = ()
    #: Only system administrators may read or set it: a secret, or a
    #: program or file of the server.
    admin_only: bool = False
    #: What a text must look like: ``pointer`` (a JSON pointer: empty, or
    #: starting with ``/``), ``path`` (starting with ``/``), ``name`` (a
    #: query parameter's name: not empty, no space, ``&``, ``=`` or ``#``),
    #: ``header`` (an HTTP header name that may carry the token, or empty),
    #: ``user`` (a user of HTTP Basic authentication: no colon, no control
    #: character) or ``endpoint`` (a path with ``{id}`` in it).
    rule: str | None = None
    #: A secret: its value is never repeated in a message.
    secret: bool = False
    #: An empty text is a value of its own, not "unset" (stored as one
    #: space, a system parameter cannot be empty).
    empty_allowed: bool = False
    #: The label and help of its field on the settings form (English: the
    #: addon translates them).
    label: str = ""
    help: str | None = None
    #: Digits of a number's field on the form (total, decimals).
    digits: tuple | None = None
    #: The form reads and writes it itself (:meth:`parse`, :meth:`store`)
    #: instead of as a ``config_parameter`` field, which stores 0 and empty
    #: as "unset": a setting whose 0 or empty is a value of its own must be.
    plain: bool = False

    def __post_init__(self):
        zero_is_a_value = self.kind in (int, float) and self.low <= 0 < self.default
        empty_is_a_value = self.empty_allowed and self.default != ""
        if (zero_is_a_value or empty_is_a_value) and not self.plain:
            raise ValueError(f"the setting {self.key}: 0 or empty is a value of its own, so it must be plain")

    @property
    def param(self):
        return PARAM_PREFIX + self.key

    @property
    def kind(self):
        return type(self.default)

    @property
    def values(self):
        """The accepted values of a choice."""
        return tuple(value for value, _label in self.choices)

    def problem(self, value):
        """Why ``value`` cannot be this setting's value, or None."""
        if self.choices:
            if value not in self.values:
                return f"must be one of {', '.join(self.values)}"
            return None
        if self.kind is str:
            if value == "" and self.empty_allowed:
                return None
            return _text_problem(self.rule, value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a number"
        if self.kind is int and not float(value).is_integer():
            return f"must be a whole number between {format_number(self.low)} and {format_number(self.high)}"
        if not self.low <= value <= self.high:
            return f"must be between {format_number(self.low)} and {format_number(self.high)}"
        return None

    def parse(self, raw):
        """The typed value of the stored text ``raw`` (the default when unset).

        :raises ValueError: ``raw`` is not an acceptable value; the message
            names the parameter and says what it must be
        """
        if raw in (None, False) or raw == "":
            return self.default
        raw = str(raw)
        if not raw.strip():
            return "" if self.empty_allowed else self.default
        if self.kind is str:
            value = raw.strip()
        else:
            try:
                value = float(raw.strip())
            except ValueError:
                value = None
            if value is not None and self.kind is int and value.is_integer():
                value = int(value)
        problem = self.problem(value) if value is not None else "must be a number"
        if problem and self.secret:
            raise ValueError(f"the setting {self.param} {problem}")
        if problem:
            raise ValueError(f"the setting {self.param} is {raw!r}; it {problem}")
        return value

    def store(self, value):
        """The text that stores ``value`` in the system parameter (False: unset)."""
        if self.kind is str:
            return value if value else (" " if self.empty_allowed else False)
        return format_number(value)


def _text_problem(rule, value):
    if not isinstance(value, str):
        return "must be a text"
    if rule == "pointer" and value and not value.startswith("/"):
        return "must be a JSON pointer: empty, or starting with /"
    if rule == "path" and not value.startswith("/"):
        return "must be a path starting with /"
    if rule == "name" and (not value or any(char in value for char in " &=#?\t\n")):
        return "must be the name of a query parameter (no space, &, =, #, ?)"
    if rule == "header" and value:
        return header_name_problem(value)
    if rule == "user" and (":" in value or any(_is_control(char) for char in value)):
        return "must not contain a colon (:) or a control character"
    if rule == "endpoint" and "{id}" not in value:
        return "must contain {id}, where the external ID goes"
    return None


#: An HTTP header name (RFC 9110's ``token``).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

#: Headers that cannot carry the token: sync-cli sets them itself, or they
#: belong to the connection (sync-cli refuses them too).
RESERVED_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "user-agent",
    }
)


def header_name_problem(value):
    """Why ``value`` cannot be the name of the header that carries the token, or None."""
    if not _HEADER_NAME.fullmatch(value):
        return "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only, e.g. X-Shopify-Access-Token)"
    if value.lower() in RESERVED_HEADERS:
        return "cannot carry the token: sync-cli sets that header itself, or it belongs to the connection"
    return None


def _is_control(char):
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0


def format_number(value):
    """A setting's number as a person writes it: ``10``, ``12.5``, ``100000000000000``."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.10g}"
    return str(int(value))
