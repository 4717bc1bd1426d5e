import httpx

from tests.conftest import LiveServer


def test_server_answers_health_check(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
