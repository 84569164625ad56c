"""Projects and collaborators over HTTP, on both databases."""

from __future__ import annotations

from tests.support.api import Account, Api


def create_project(api: Api, owner: Account, name: str, **fields: object) -> dict:
    response = api.post("/api/projects/", as_=owner, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def create_team(api: Api, owner: Account, *members: Account) -> str:
    response = api.post("/api/organizations/", as_=owner, json={"name": "Team"})
    assert response.status_code == 201, response.text
    team = response.json()["id"]
    for member in members:
        added = api.post(
            f"/api/organizations/{team}/members/",
            as_=owner,
            json={"email": member.email, "role": "member"},
        )
        assert added.status_code == 201, added.text
    return team


def test_project_lifecycle(api: Api) -> None:
    owner = api.register()

    project = create_project(api, owner, "  Lifecycle  ", description="first")
    url = f"/api/projects/{project['id']}/"
    renamed = api.patch(url, as_=owner, json={"name": "Renamed"})
    detail = api.get(url, as_=owner)
    archived = api.patch(url, as_=owner, json={"is_archived": True})

    assert project["name"] == "Lifecycle"
    assert project["organization"] == owner.organization_id
    assert project["role"] == "admin"
    assert project["is_archived"] is False
    assert renamed.status_code == 200
    assert renamed.json()["description"] == "first"
    assert detail.json()["name"] == "Renamed"
    assert archived.status_code == 200
    assert archived.json()["is_archived"] is True


def test_create_rejects_bad_input(api: Api) -> None:
    owner = api.register()
    stranger = api.register()

    unknown_field = api.post("/api/projects/", as_=owner, json={"name": "x", "owner": "me"})
    blank = api.post("/api/projects/", as_=owner, json={"name": "   "})
    foreign = api.post(
        "/api/projects/",
        as_=owner,
        json={"name": "x", "organization": stranger.organization_id},
    )

    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["field"] == "owner"
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "name"
    assert foreign.status_code == 404
    assert stranger.organization_id in foreign.json()["detail"]


def test_patch_rejects_mass_assignment(api: Api) -> None:
    owner = api.register()
    project = create_project(api, owner, "Guarded")

    response = api.patch(
        f"/api/projects/{project['id']}/", as_=owner, json={"organization": owner.id}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organization"


def test_duplicate_name_conflicts(api: Api) -> None:
    owner = api.register()
    create_project(api, owner, "Unique")

    duplicate = api.post("/api/projects/", as_=owner, json={"name": "UNIQUE"})

    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["detail"]


def test_roles_come_from_organization_and_collaboration(api: Api) -> None:
    owner = api.register()
    member = api.register()
    guest = api.register()
    team = create_team(api, owner, member)
    project = create_project(api, owner, "Roles", organization=team)
    url = f"/api/projects/{project['id']}/"

    api.post(url + "collaborators/", as_=owner, json={"email": guest.email, "role": "viewer"})
    as_member = api.get(url, as_=member).json()["role"]
    as_guest = api.get(url, as_=guest).json()["role"]
    api.post(url + "collaborators/", as_=owner, json={"email": member.email, "role": "admin"})
    promoted = api.get(url, as_=member).json()["role"]

    assert as_member == "editor"
    assert as_guest == "viewer"
    assert promoted == "admin"


def test_collaborator_management(api: Api) -> None:
    owner = api.register()
    guest = api.register(full_name="Grace Guest")
    project = create_project(api, owner, "Collaboration")
    collaborators = f"/api/projects/{project['id']}/collaborators/"

    added = api.post(
        collaborators, as_=owner, json={"email": guest.email.upper(), "role": "editor"}
    )
    again = api.post(collaborators, as_=owner, json={"email": guest.email, "role": "viewer"})
    unknown = api.post(
        collaborators, as_=owner, json={"email": "nobody@example.com", "role": "viewer"}
    )
    changed = api.patch(collaborators + f"{guest.id}/", as_=owner, json={"role": "viewer"})
    listed = api.get(collaborators, as_=guest)

    assert added.status_code == 201
    entry = added.json()
    assert entry["user_id"] == guest.id
    assert entry["email"] == guest.email
    assert entry["full_name"] == "Grace Guest"
    assert entry["role"] == "editor"
    assert entry["added_at"]
    assert again.status_code == 409
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "No user with that email."
    assert changed.json()["role"] == "viewer"
    assert [item["user_id"] for item in listed.json()["results"]] == [guest.id]


def test_removal_applies_to_next_request(api: Api) -> None:
    owner = api.register()
    guest = api.register()
    project = create_project(api, owner, "Revocable")
    url = f"/api/projects/{project['id']}/"
    api.post(url + "collaborators/", as_=owner, json={"email": guest.email, "role": "editor"})
    seen = api.get(url, as_=guest)

    removed = api.delete(url + f"collaborators/{guest.id}/", as_=owner)
    # The guest's access token is unchanged; roles are read on every request.
    after = api.get(url, as_=guest)
    listed = api.get("/api/projects/", as_=guest).json()["results"]

    assert seen.status_code == 200
    assert removed.status_code == 204
    assert after.status_code == 404
    assert project["id"] not in [item["id"] for item in listed]


def test_collaborator_may_leave(api: Api) -> None:
    owner = api.register()
    guest = api.register()
    project = create_project(api, owner, "Leavable")
    collaborators = f"/api/projects/{project['id']}/collaborators/"
    api.post(collaborators, as_=owner, json={"email": guest.email, "role": "viewer"})

    left = api.delete(collaborators + f"{guest.id}/", as_=guest)

    assert left.status_code == 204
    assert api.get(f"/api/projects/{project['id']}/", as_=guest).status_code == 404


def test_list_filters(api: Api) -> None:
    owner = api.register()
    team = create_team(api, owner)
    create_project(api, owner, "50% off")
    create_project(api, owner, "500 units")
    create_project(api, owner, "snake_case")
    create_project(api, owner, "snakeXcase")
    in_team = create_project(api, owner, "Team work", organization=team)

    def names(query: str) -> list[str]:
        response = api.get(f"/api/projects/?{query}", as_=owner)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["results"]]

    assert names("search=0%25") == ["50% off"]
    assert names("search=E_C") == ["snake_case"]
    assert names(f"organization={team}") == ["Team work"]
    assert names("archived=true") == []
    api.delete(f"/api/projects/{in_team['id']}/", as_=owner)
    assert names("archived=true") == ["Team work"]
    assert "Team work" not in names("")
