"""Pure codecs: bytes <-> frozen dataclasses, with no cryptography and no state.

Public but provisional, for people who build or inspect messages by hand.
"""

from tlsglass.wire.alert import CHANGE_CIPHER_SPEC_BODY, Alert
from tlsglass.wire.buffer import Reader, Writer, decode_whole
from tlsglass.wire.extension_block import *  # noqa: F403
from tlsglass.wire.extension_block import __all__ as _block_all
from tlsglass.wire.extensions import *  # noqa: F403
from tlsglass.wire.extensions import __all__ as _ext_all
from tlsglass.wire.handshake import *  # noqa: F403
from tlsglass.wire.handshake import __all__ as _hs_all
from tlsglass.wire.handshake12 import *  # noqa: F403
from tlsglass.wire.handshake12 import __all__ as _hs12_all
from tlsglass.wire.legacy import *  # noqa: F403
from tlsglass.wire.legacy import __all__ as _legacy_all
from tlsglass.wire.record import *  # noqa: F403
from tlsglass.wire.record import __all__ as _rec_all
from tlsglass.wire.ticket import SessionState

__all__ = ["CHANGE_CIPHER_SPEC_BODY", "Alert", "Reader", "SessionState", "Writer", "decode_whole",
           *_ext_all,
           *_block_all, *_hs_all, *_hs12_all, *_rec_all, *_legacy_all]
