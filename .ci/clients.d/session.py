"""A session through the client openapi-python-client generated from
/openapi.json, used as generated: every module imports, then register, sign
in (JSON and the OAuth2 form), me, tasks (create with an Idempotency-Key, list with filters and
paging, get, patch with If-Match and a stale one, complete, delete), a 422
and a 404 parsed as the error model, and a refresh. Any answer the document
does not declare raises (raise_on_unexpected_status).

    PYTHONPATH=<dir holding taskpulse_client> python session.py BASE_URL
"""

import importlib
import pkgutil
import sys
import uuid
from http import HTTPStatus

import taskpulse_client
from taskpulse_client import AuthenticatedClient, Client
from taskpulse_client.api.auth import get_me, login, login_access_token, refresh, register
from taskpulse_client.api.tasks import (
    complete_task,
    create_task,
    delete_task,
    get_task,
    list_tasks,
    update_task,
)
from taskpulse_client.models import (
    ErrorBody,
    ErrorBodyCode,
    ListTasksSort,
    LoginForm,
    LoginRequest,
    RefreshTokenRequest,
    RegisterRequest,
    Task,
    TaskCompletion,
    TaskInput,
    TaskPatch,
    TokenResponse,
    User,
)


def expect(response, status, model):
    """The parsed body of `response`, which must be `status` and `model`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), response.parsed
    return response.parsed


def expect_error(response, status, code):
    """The error body of `response`, which must be `status` with `code`."""
    error = expect(response, status, ErrorBody)
    assert error.code == code, error
    assert error.request_id == response.headers["x-request-id"], error
    return error


def import_every_module() -> int:
    """Imports each module of the client (an operation the session does not
    call can still be broken), and counts them."""
    modules = list(pkgutil.walk_packages(taskpulse_client.__path__, "taskpulse_client."))
    for module in modules:
        importlib.import_module(module.name)
    return len(modules)


def main(base_url: str) -> None:
    modules = import_every_module()
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    email = f"py-{uuid.uuid4().hex}@example.com"
    password = f"generated-{uuid.uuid4().hex[:8]}-client"

    registered = expect(
        register.sync_detailed(
            client=anonymous,
            body=RegisterRequest(name="Py Client", email=email, password=password),
        ),
        HTTPStatus.CREATED,
        TokenResponse,
    )
    assert registered.token_type == "bearer" and registered.user.email == email
    user_id = registered.user.id

    by_json = expect(
        login.sync_detailed(client=anonymous, body=LoginRequest(email=email, password=password)),
        HTTPStatus.OK,
        TokenResponse,
    )
    by_form = expect(
        login_access_token.sync_detailed(
            client=anonymous, body=LoginForm(username=email, password=password)
        ),
        HTTPStatus.OK,
        TokenResponse,
    )
    assert by_json.user.id == by_form.user.id == user_id
    client = AuthenticatedClient(
        base_url=base_url, token=by_form.access_token, raise_on_unexpected_status=True
    )

    me = expect(get_me.sync_detailed(client=client), HTTPStatus.OK, User)
    assert me.id == user_id and me.email == email and me.name == "Py Client"

    key = str(uuid.uuid4())
    report = TaskInput(title="Write report", priority=3)
    first = create_task.sync_detailed(user_id, client=client, body=report, idempotency_key=key)
    task = expect(first, HTTPStatus.CREATED, Task)
    replay = expect(
        create_task.sync_detailed(user_id, client=client, body=report, idempotency_key=key),
        HTTPStatus.CREATED,
        Task,
    )
    assert replay.id == task.id and task.priority == 3 and not task.completed
    assert first.headers["etag"] == f'"{task.version}"'
    for title in ("Buy milk", "Call Bob", "Water plants"):
        expect(
            create_task.sync_detailed(user_id, client=client, body=TaskInput(title=title)),
            HTTPStatus.CREATED,
            Task,
        )

    page = list_tasks.sync_detailed(
        user_id, client=client, completed=False, sort=ListTasksSort.TITLE, limit=2, offset=1
    )
    titles = [t.title for t in expect(page, HTTPStatus.OK, list)]
    assert titles == ["Call Bob", "Water plants"], titles
    assert page.headers["x-total-count"] == "4", page.headers
    urgent = expect(
        list_tasks.sync_detailed(user_id, client=client, priority_min=3, q="report"),
        HTTPStatus.OK,
        list,
    )
    assert [t.id for t in urgent] == [task.id], urgent

    got = get_task.sync_detailed(user_id, task.id, client=client)
    assert expect(got, HTTPStatus.OK, Task).title == "Write report"
    etag = got.headers["etag"]

    patched = expect(
        update_task.sync_detailed(
            user_id, task.id, client=client, body=TaskPatch(title="Write the report"), if_match=etag
        ),
        HTTPStatus.OK,
        Task,
    )
    assert patched.title == "Write the report" and patched.version == task.version + 1
    expect_error(
        update_task.sync_detailed(
            user_id, task.id, client=client, body=TaskPatch(title="Too late"), if_match=etag
        ),
        HTTPStatus.PRECONDITION_FAILED,
        ErrorBodyCode.PRECONDITION_FAILED,
    )

    done = expect(
        complete_task.sync_detailed(
            user_id, task.id, client=client, body=TaskCompletion(completed=True)
        ),
        HTTPStatus.OK,
        Task,
    )
    assert done.completed and done.completed_at is not None, done
    toggled = expect(
        complete_task.sync_detailed(user_id, task.id, client=client), HTTPStatus.OK, Task
    )
    assert not toggled.completed and toggled.completed_at is None, toggled

    invalid = expect_error(
        create_task.sync_detailed(user_id, client=client, body=TaskInput(title="   ")),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        ErrorBodyCode.VALIDATION_ERROR,
    )
    assert [e.field for e in invalid.errors] == ["title"], invalid

    deleted = delete_task.sync_detailed(user_id, task.id, client=client)
    assert deleted.status_code == HTTPStatus.NO_CONTENT, deleted
    expect_error(
        get_task.sync_detailed(user_id, task.id, client=client),
        HTTPStatus.NOT_FOUND,
        ErrorBodyCode.NOT_FOUND,
    )

    renewed = expect(
        refresh.sync_detailed(
            client=anonymous, body=RefreshTokenRequest(refresh_token=by_form.refresh_token)
        ),
        HTTPStatus.OK,
        TokenResponse,
    )
    assert renewed.refresh_token != by_form.refresh_token
    renewed_client = AuthenticatedClient(
        base_url=base_url, token=renewed.access_token, raise_on_unexpected_status=True
    )
    assert expect(get_me.sync_detailed(client=renewed_client), HTTPStatus.OK, User).id == user_id
    expect_error(
        refresh.sync_detailed(
            client=anonymous, body=RefreshTokenRequest(refresh_token=by_form.refresh_token)
        ),
        HTTPStatus.UNAUTHORIZED,
        ErrorBodyCode.UNAUTHORIZED,
    )
    print(
        f"clients: python: all {modules} modules import; register, login (JSON and form), me, "
        "tasks, the 412, 422 and 404 and refresh work"
    )


if __name__ == "__main__":
    main(sys.argv[1])
