import pytest

from lachan.testing.factories import InformationSystemFactory, IPPrefixFactory


@pytest.mark.django_db
def test_search_finds_only_in_scope(tree, users, client_for):
    InformationSystemFactory(unit=tree["a1"], name="Cổng dịch vụ công ZETA-A")
    InformationSystemFactory(unit=tree["b"], name="Cổng dịch vụ công ZETA-B")
    response = client_for(users["member_a"]).get("/search/", {"q": "zeta"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "ZETA-A" in body
    assert "ZETA-B" not in body


@pytest.mark.django_db
def test_search_escapes_user_content(tree, users, client_for):
    IPPrefixFactory(unit=tree["a"], prefix="192.0.2.0/24", description="<script>alert(1)</script> tag")
    InformationSystemFactory(unit=tree["a"], name="<script>alert(1)</script>")
    body = client_for(users["coordinator"]).get("/search/", {"q": "script"}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
