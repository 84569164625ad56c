"""Organizations and members over HTTP, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import Account, Api

PROBLEM = "application/problem+json"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def create(api: Api, owner: Account, name: str = "Team", **fields: str) -> dict[str, Any]:
    return ok(api.post("/api/organizations/", as_=owner, json={"name": name, **fields}), 201)


def add(api: Api, actor: Account, organization: str, target: Account, role: str) -> httpx.Response:
    return api.post(
        f"/api/organizations/{organization}/members/",
        as_=actor,
        json={"email": target.email, "role": role},
    )


def member_url(organization: str, user: Account) -> str:
    return f"/api/organizations/{organization}/members/{user.id}/"


def roles(api: Api, actor: Account, organization: str) -> dict[str, str]:
    body = ok(api.get(f"/api/organizations/{organization}/members/", as_=actor))
    return {member["user_id"]: member["role"] for member in body["results"]}


def test_create_and_read(api: Api) -> None:
    owner = api.register()

    created = create(api, owner, "Analytical Engines", description="Gears and cards")

    assert created["name"] == "Analytical Engines"
    assert created["description"] == "Gears and cards"
    assert created["is_personal"] is False
    assert created["role"] == "owner"
    detail = ok(api.get(f"/api/organizations/{created['id']}/", as_=owner))
    assert detail["id"] == created["id"]
    assert detail["member_count"] == 1
    assert detail["role"] == "owner"
    assert detail["created_at"].endswith("Z")


def test_list_with_roles_and_pages(api: Api) -> None:
    user = api.register()
    owner = api.register()
    mine = create(api, user, "Mine")
    theirs = create(api, owner, "Theirs")
    ok(add(api, owner, theirs["id"], user, "admin"), 201)
    create(api, owner, "Not mine")

    first = ok(api.get("/api/organizations/", as_=user, params={"limit": 2}))
    second = ok(
        api.get("/api/organizations/", as_=user, params={"limit": 2, "cursor": first["next"]})
    )

    listed = first["results"] + second["results"]
    assert second["next"] is None
    assert [org["id"] for org in listed] == [theirs["id"], mine["id"], user.organization_id]
    assert [org["role"] for org in listed] == ["admin", "owner", "owner"]


def test_list_rejects_bad_paging(api: Api) -> None:
    user = api.register()

    too_large = api.get("/api/organizations/", as_=user, params={"limit": 201})
    bad_cursor = api.get("/api/organizations/", as_=user, params={"cursor": "garbage!"})

    assert too_large.status_code == 422
    assert too_large.json()["errors"][0]["field"] == "limit"
    assert bad_cursor.status_code == 400


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "   "}, {"name"}),
        ({"name": "n" * 201}, {"name"}),
        ({"name": "nul\u0000"}, {"name"}),
        ({"name": "Team", "description": "d" * 5_001}, {"description"}),
        ({"name": "Team", "is_personal": True}, {"is_personal"}),
        ({"description": "no name"}, {"name"}),
        ({"name": 7}, {"name"}),
    ],
)
def test_create_rejects_invalid(api: Api, body: dict[str, Any], fields: set[str]) -> None:
    owner = api.register()

    response = api.post("/api/organizations/", as_=owner, json=body)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert {error["field"] for error in response.json()["errors"]} == fields


def test_create_accepts_limits(api: Api) -> None:
    owner = api.register()

    created = create(api, owner, "n" * 200, description="d" * 5_000)

    assert len(created["name"]) == 200
    assert len(created["description"]) == 5_000


def test_patch_is_partial(api: Api) -> None:
    owner = api.register()
    organization = create(api, owner, "Team", description="Before")

    renamed = ok(
        api.patch(f"/api/organizations/{organization['id']}/", as_=owner, json={"name": "After"})
    )
    unchanged = ok(api.patch(f"/api/organizations/{organization['id']}/", as_=owner, json={}))

    assert renamed["name"] == "After"
    assert renamed["description"] == "Before"
    assert renamed["updated_at"] >= organization["updated_at"]
    assert unchanged["name"] == "After"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_personal": True}, "is_personal"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"role": "owner"}, "role"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_patch_rejects_fields(api: Api, body: dict[str, Any], field: str) -> None:
    owner = api.register()
    organization = create(api, owner)

    response = api.patch(f"/api/organizations/{organization['id']}/", as_=owner, json=body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_patch_needs_owner_or_admin(api: Api) -> None:
    owner = api.register()
    admin = api.register()
    member = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, admin, "admin"), 201)
    ok(add(api, owner, organization, member, "member"), 201)
    url = f"/api/organizations/{organization}/"

    by_admin = api.patch(url, as_=admin, json={"description": "By admin"})
    by_member = api.patch(url, as_=member, json={"description": "By member"})

    assert by_admin.status_code == 200
    assert by_member.status_code == 403
    assert by_member.headers["content-type"].startswith(PROBLEM)
    assert ok(api.get(url, as_=member))["description"] == "By admin"


def test_outsider_gets_404_everywhere(api: Api) -> None:
    owner = api.register()
    member = api.register()
    outsider = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, member, "member"), 201)
    base = f"/api/organizations/{organization}"

    responses = {
        "detail": api.get(f"{base}/", as_=outsider),
        "patch": api.patch(f"{base}/", as_=outsider, json={"name": "Taken over"}),
        "members": api.get(f"{base}/members/", as_=outsider),
        "add": add(api, outsider, organization, outsider, "owner"),
        "change": api.patch(member_url(organization, member), as_=outsider, json={"role": "admin"}),
        "remove": api.delete(member_url(organization, member), as_=outsider),
    }

    for name, response in responses.items():
        assert response.status_code == 404, name
        assert response.json()["detail"] == f"Organization {organization} not found.", name
    assert roles(api, owner, organization) == {owner.id: "owner", member.id: "member"}


def test_unknown_organization_404(api: Api) -> None:
    user = api.register()

    missing = api.get(f"/api/organizations/{uuid.uuid4()}/", as_=user)
    not_uuid = api.get("/api/organizations/not-a-uuid/", as_=user)

    assert missing.status_code == 404
    assert not_uuid.status_code == 404


def test_members_listed_with_profiles(api: Api) -> None:
    owner = api.register(full_name="Olive Owner")
    member = api.register(full_name="Mo Member")
    organization = create(api, owner)["id"]
    added = ok(add(api, owner, organization, member, "member"), 201)

    body = ok(api.get(f"/api/organizations/{organization}/members/", as_=member))

    assert added["user_id"] == member.id
    assert body["next"] is None
    assert [entry["user_id"] for entry in body["results"]] == [member.id, owner.id]
    newest = body["results"][0]
    assert newest == {
        "user_id": member.id,
        "email": member.email,
        "full_name": "Mo Member",
        "role": "member",
        "joined_at": added["joined_at"],
    }
    assert body["results"][1]["full_name"] == "Olive Owner"


def test_members_pages(api: Api) -> None:
    owner = api.register()
    organization = create(api, owner)["id"]
    others = [api.register() for _ in range(3)]
    for other in others:
        ok(add(api, owner, organization, other, "member"), 201)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = ok(api.get(f"/api/organizations/{organization}/members/", as_=owner, params=params))
        assert len(page["results"]) <= 3
        seen.extend(entry["user_id"] for entry in page["results"])
        cursor = page["next"]
        if cursor is None:
            break

    assert seen == [other.id for other in reversed(others)] + [owner.id]


def test_add_member_by_email_case(api: Api) -> None:
    owner = api.register()
    invited = api.register()
    organization = create(api, owner)["id"]

    response = api.post(
        f"/api/organizations/{organization}/members/",
        as_=owner,
        json={"email": invited.email.upper()},
    )

    assert ok(response, 201)["role"] == "member"
    assert ok(api.get(f"/api/organizations/{organization}/", as_=invited))["role"] == "member"


def test_add_unknown_email_404(api: Api) -> None:
    owner = api.register()
    organization = create(api, owner)["id"]
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"

    response = api.post(
        f"/api/organizations/{organization}/members/", as_=owner, json={"email": unknown}
    )

    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("No user with that email address.")
    assert unknown not in detail


def test_add_twice_409(api: Api) -> None:
    owner = api.register()
    member = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, member, "member"), 201)

    again = add(api, owner, organization, member, "admin")

    assert again.status_code == 409
    assert "already a member" in again.json()["detail"]
    assert roles(api, owner, organization)[member.id] == "member"


def test_add_rejects_bad_role(api: Api) -> None:
    owner = api.register()
    member = api.register()
    organization = create(api, owner)["id"]

    response = add(api, owner, organization, member, "superuser")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


def test_personal_organization_takes_no_members(api: Api) -> None:
    owner = api.register()
    friend = api.register()

    added = add(api, owner, owner.organization_id, friend, "member")
    left = api.delete(member_url(owner.organization_id, owner), as_=owner)
    demoted = api.patch(member_url(owner.organization_id, owner), as_=owner, json={"role": "admin"})

    assert added.status_code == 409
    assert "create a team organization" in added.json()["detail"]
    assert left.status_code == 409
    assert demoted.status_code == 409
    assert roles(api, owner, owner.organization_id) == {owner.id: "owner"}


def test_member_lacking_role_gets_403(api: Api) -> None:
    owner = api.register()
    member = api.register()
    other = api.register()
    outsider = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, member, "member"), 201)
    ok(add(api, owner, organization, other, "member"), 201)

    responses = {
        "add": add(api, member, organization, outsider, "member"),
        "promote self": api.patch(
            member_url(organization, member), as_=member, json={"role": "admin"}
        ),
        "change other": api.patch(
            member_url(organization, other), as_=member, json={"role": "admin"}
        ),
        "remove other": api.delete(member_url(organization, other), as_=member),
    }

    for name, response in responses.items():
        assert response.status_code == 403, name
    assert roles(api, owner, organization) == {
        owner.id: "owner",
        member.id: "member",
        other.id: "member",
    }


def test_admin_cannot_touch_owners(api: Api) -> None:
    owner = api.register()
    admin = api.register()
    member = api.register()
    newcomer = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, admin, "admin"), 201)
    ok(add(api, owner, organization, member, "member"), 201)

    forbidden = {
        "add owner": add(api, admin, organization, newcomer, "owner"),
        "promote to owner": api.patch(
            member_url(organization, member), as_=admin, json={"role": "owner"}
        ),
        "demote owner": api.patch(
            member_url(organization, owner), as_=admin, json={"role": "member"}
        ),
        "remove owner": api.delete(member_url(organization, owner), as_=admin),
    }
    promoted = api.patch(member_url(organization, member), as_=admin, json={"role": "admin"})
    added = add(api, admin, organization, newcomer, "member")

    for name, response in forbidden.items():
        assert response.status_code == 403, name
    assert promoted.status_code == 200
    assert added.status_code == 201
    assert roles(api, owner, organization)[owner.id] == "owner"


def test_last_owner_stays(api: Api) -> None:
    owner = api.register()
    member = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, member, "member"), 201)

    demoted = api.patch(member_url(organization, owner), as_=owner, json={"role": "admin"})
    left = api.delete(member_url(organization, owner), as_=owner)

    for response in (demoted, left):
        assert response.status_code == 409
        assert "last owner" in response.json()["detail"]
        assert "Promote another member to owner first" in response.json()["detail"]

    promoted = api.patch(member_url(organization, member), as_=owner, json={"role": "owner"})
    assert promoted.status_code == 200
    assert api.delete(member_url(organization, owner), as_=owner).status_code == 204
    assert roles(api, member, organization) == {member.id: "owner"}


def test_member_leaves_and_loses_access(api: Api) -> None:
    owner = api.register()
    member = api.register()
    organization = create(api, owner)["id"]
    ok(add(api, owner, organization, member, "member"), 201)

    left = api.delete(member_url(organization, member), as_=member)

    assert left.status_code == 204
    assert left.content == b""
    assert api.get(f"/api/organizations/{organization}/", as_=member).status_code == 404
    listed = ok(api.get("/api/organizations/", as_=member))
    assert organization not in [org["id"] for org in listed["results"]]


def test_change_or_remove_non_member_404(api: Api) -> None:
    owner = api.register()
    stranger = api.register()
    organization = create(api, owner)["id"]

    changed = api.patch(member_url(organization, stranger), as_=owner, json={"role": "admin"})
    removed = api.delete(member_url(organization, stranger), as_=owner)

    assert changed.status_code == 404
    assert removed.status_code == 404
    assert "is not a member" in removed.json()["detail"]


def test_organizations_need_auth(api: Api) -> None:
    response = api.get("/api/organizations/")

    assert response.status_code == 401
