from audit_app.models import Role


def test_dashboard_for_signed_in_auditor(client, make_user, login, library):
    login(make_user(Role.AUDITOR))
    response = client.get("/")
    assert response.status_code == 200
    assert b"Checklist versions in the library" in response.data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
