"""The whole dot-voting flow in process: create, open, vote over HTTP, close, read results."""

from __future__ import annotations

from tests.conftest import new_client
from tests.helpers import Phone, stage_of


async def test_dot_round_from_creation_to_results(app, facilitator):
    workshop_id, code = await facilitator.create_workshop("Phoenix Place")
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b], dots=5)
    assert (await facilitator.round_action(workshop_id, round_id, "open")).status_code == 303

    async with new_client(app) as device:
        phone = Phone(device)
        await phone.join(code, "Ann")
        page = await device.get(f"/w/{code}")
        assert stage_of(page.text) == "open"
        saved = await phone.vote_http(round_id, {a: 3, b: 2})
        assert saved.status_code == 200
        assert 'data-state="saved"' in saved.text

    await facilitator.round_action(workshop_id, round_id, "close")
    results = await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}")
    assert results.status_code == 200
    assert "Benches" in results.text
    csv = await facilitator.client.get(f"/f/workshops/{workshop_id}/export/results.csv")
    assert f"{round_id},Priorities,dots,1,no,{a},Benches,3,1,1" in csv.text
