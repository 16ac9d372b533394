"""Option pictures through the console: checked, made small and upright, stripped of where
they were taken, served by version; a file that is not a usable picture is refused and changes
nothing."""

from __future__ import annotations

import html
import io
import re

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(size=(3000, 2000), orientation: int | None = None, fmt: str = "JPEG") -> bytes:
    """A camera-like photo: with a maker, the place it was taken and (maybe) how it was held."""
    image = Image.new("RGB", size, (40, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    # Set as a whole: before Pillow 11.1 (the product works from 9.3) get_ifd() of a tag not
    # yet present returned a detached dict, so filling it in wrote no place at all.
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.0)}  # GPSLatitudeRef, GPSLatitude
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


async def upload(room, title: str, data: bytes, name: str = "corner.jpg"):
    return await room.facilitator.client.post(
        f"{room.console}/options/{room.option(title)}/picture",
        data={"csrf": room.facilitator.token},
        files={"picture": (name, data, "image/jpeg")},
    )


def picture_urls(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<img class="option-picture" src="(/pictures/[^"]+)" alt="([^"]*)"', html)


async def test_a_photo_is_turned_upright_made_small_and_loses_its_location(room):
    sent = photo(orientation=6)  # held upright: stored 3000 wide, seen 2000 wide
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the test photo has a place
    response = await upload(room, "Benches", sent)
    assert response.status_code == 303, response.text
    urls = picture_urls(await room.page())
    assert len(urls) == 1 and urls[0][1] == "Benches"
    served = await room.client().get(urls[0][0])  # a phone, not signed in
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert "immutable" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (480, 720)
    assert not image.getexif()
    assert b"Phone maker" not in served.content
    assert len(served.content) < len(sent) / 10


async def test_the_ballot_and_results_show_the_picture_with_the_title_as_its_text(room):
    await upload(room, "Trees", photo())
    await room.create_round("Where first?")
    await room.act("open")
    phone = await room.phone()
    ballot = (await phone.client.get(f"/w/{room.code}")).text
    assert [alt for _url, alt in picture_urls(ballot)] == ["Trees"]
    await room.act("close")
    results = await room.page(f"/rounds/{room.round_id}")
    assert [alt for _url, alt in picture_urls(results)] == [""]  # the title is beside it


async def test_files_that_are_not_usable_pictures_get_a_clear_message_and_change_nothing(room):
    assert (await upload(room, "Lighting", photo((400, 300)))).status_code == 303
    before = picture_urls(await room.page())

    async def refused(data: bytes, name: str = "corner.jpg") -> str:
        response = await upload(room, "Lighting", data, name)
        assert response.status_code == 303  # back to the console, which says why
        console = html.unescape(await room.page())
        assert picture_urls(console) == before
        return console

    text = await refused(b"Minutes of the last meeting", "minutes.jpg")
    assert "That file is not a picture we can show" in text
    assert "JPEG, PNG, WebP or GIF" in text
    huge = io.BytesIO()
    Image.new("1", (8000, 8000)).save(huge, "PNG")  # small file, 64 million pixels
    bomb = await refused(huge.getvalue(), "plan.png")
    assert "too many pixels" in bomb and "8,000 × 8,000" in bomb
    heavy = await refused(photo((400, 300)) + b"\0" * (8 * 1024 * 1024))
    assert "too large to send (the limit is 8 MB)" in heavy
    # Refused even once the printed report's library has made Pillow lenient with cut files.
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    cut = await refused(photo((400, 300))[:2000])
    assert "That file is not a picture we can show" in cut


async def test_a_new_picture_gets_a_new_address_and_a_removed_one_is_gone(room):
    await upload(room, "Benches", photo((400, 300)))
    [(first, _alt)] = picture_urls(await room.page())
    await upload(room, "Benches", photo((300, 400)))
    [(second, _alt)] = picture_urls(await room.page())
    assert first != second
    phone = room.client()
    assert (await phone.get(first)).status_code == 404
    assert (await phone.get(second)).status_code == 200
    removed = await room.facilitator.post(
        f"{room.console}/options/{room.option('Benches')}/picture-remove"
    )
    assert removed.status_code == 303
    assert picture_urls(await room.page()) == []
    assert (await phone.get(second)).status_code == 404


async def test_inside_a_legend_or_label_the_picture_is_not_named_twice(room):
    await upload(room, "Lighting", photo((400, 300)))
    await room.create_round("How good is each?", kind="rating")
    await room.act("open")
    phone = await room.phone()
    ballot = (await phone.client.get(f"/w/{room.code}")).text
    [(_url, alt)] = picture_urls(ballot)
    assert alt == ""  # the legend already says "Lighting"
    assert re.search(r'<legend id="read-\d+"><img class="option-picture"', ballot)
