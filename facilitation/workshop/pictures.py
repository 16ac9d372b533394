"""An option's picture: an upload checked, turned upright, made smaller and stripped of metadata."""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from facilitation.core.errors import BadRequest, TooLarge
from facilitation.core.i18n import N_

# A phone's photo is a few megabytes. The request may be larger, so that a file a little over
# the limit is told the limit, not only refused.
UPLOAD_MAX_BYTES = 8 * 1024 * 1024
REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 2 * 1024 * 1024
# Beyond this many pixels the file is refused before it is decoded (a "decompression bomb"
# is a tiny file that unpacks to gigabytes).
MAX_PIXELS = 50_000_000
# Twice the widest a phone shows it, for sharp screens; the board shows it no larger.
LONGEST_SIDE = 720
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MEDIA_TYPE = "image/webp"
# Pillow's switch for decoding cut-off files is process-wide, and WeasyPrint turns it on when it
# is imported (for the printed report): uploads are decoded with it off, one at a time.
_STRICT_DECODING = threading.Lock()

WRONG_TYPE = N_(
    "That file is not a picture we can show. Please choose a photo or drawing saved as JPEG, "
    "PNG, WebP or GIF."
)
TOO_BIG = N_(
    "That picture is too large to send (the limit is {mb} MB). Please choose a smaller one."
)
TOO_MANY_PIXELS = N_(
    "That picture has too many pixels to use ({width} × {height}). Please choose a smaller one."
)


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture ready to store: WebP bytes without metadata, its size and its version."""

    image: bytes
    width: int
    height: int
    version: str
    media_type: str = MEDIA_TYPE


def prepare(data: bytes) -> Picture:
    """Check an uploaded file and make the picture phones are sent: upright as the camera held
    it, at most LONGEST_SIDE pixels, with no EXIF (so no place it was taken), as WebP."""
    if len(data) > UPLOAD_MAX_BYTES:
        raise TooLarge(TOO_BIG, mb=UPLOAD_MAX_BYTES // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise BadRequest(TOO_MANY_PIXELS, width=width, height=height)
            with _STRICT_DECODING:
                lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
                try:
                    source.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = lenient
            upright = ImageOps.exif_transpose(source)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadRequest(WRONG_TYPE) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt files
        raise BadRequest(WRONG_TYPE) from None
    picture = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Saved without exif= or icc_profile=, so nothing of the original's metadata goes along.
    picture.save(out, "WEBP", quality=75, method=4)
    image = out.getvalue()
    version = hashlib.sha256(image).hexdigest()[:16]
    return Picture(image, picture.width, picture.height, version)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


# An option's picture in the printed report: sharp at its 9 mm there, a few kilobytes in the PDF.
REPORT_SIDE = 120


def small_copy(image: bytes, side: int = REPORT_SIDE) -> tuple[bytes, str]:
    """A stored picture at most ``side`` pixels on its longest side, and its media type: JPEG,
    or PNG where it has transparent parts (a symbol drawn on nothing)."""
    with Image.open(io.BytesIO(image)) as source:
        source.load()
        alpha = _has_alpha(source)
        small = source.convert("RGBA" if alpha else "RGB")
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if alpha:
        small.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    small.save(out, "JPEG", quality=82)
    return out.getvalue(), "image/jpeg"
