// A session through the client @hey-api/openapi-ts (fetch client) generated
// from /openapi.json, used as generated: register, sign in (JSON and the
// OAuth2 form), me, tasks (create with an Idempotency-Key, list with filters
// and paging, get, patch with If-Match and a stale one, complete, delete), a
// 422 and a 404 read as the error body, and a refresh.
//
//   node out/session.js BASE_URL
import { createClient, createConfig } from './gen/client/index.js';
import {
  completeTask, createTask, deleteTask, getMe, getTask, listTasks, login, loginAccessToken,
  refresh, register, updateTask,
} from './gen/sdk.gen.js';
import type { ErrorBody, LoginResult, TokenResponse } from './gen/types.gen.js';

type Answer<T> = { data?: T; error?: unknown; response?: Response };

function fail(message: string): never {
  throw new Error(message);
}

/** The body of `answer`, which must have status `status`. */
function expect<T>(answer: Answer<T>, status: number): T {
  const actual = answer.response?.status;
  if (actual !== status || answer.data === undefined) {
    fail(`expected ${status}, got ${actual}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

/** The error body of `answer`, which must be `status` with `code`. */
function expectError(answer: Answer<unknown>, status: number, code: ErrorBody['code']): ErrorBody {
  const error = answer.error as ErrorBody | undefined;
  if (answer.response?.status !== status || error?.code !== code) {
    fail(`expected ${status} ${code}, got ${answer.response?.status}: ${JSON.stringify(error)}`);
  }
  if (error.request_id !== answer.response.headers.get('x-request-id')) {
    fail(`request_id ${error.request_id} is not the X-Request-Id`);
  }
  return error;
}

/** The tokens of a sign-in that needed no second factor. */
function tokens(result: LoginResult): TokenResponse {
  return 'access_token' in result ? result : fail('a second factor was asked for');
}

function check(condition: boolean, what: string): void {
  if (!condition) fail(what);
}

async function main(baseUrl: string): Promise<void> {
  const anonymous = createClient(createConfig({ baseUrl }));
  const signedIn = (token: string) => createClient(createConfig({ baseUrl, auth: () => token }));
  const email = `ts-${crypto.randomUUID()}@example.com`;
  const password = `generated-${crypto.randomUUID().slice(0, 8)}-client`;

  const registered = expect(
    await register({ client: anonymous, body: { name: 'TS Client', email, password } }), 201);
  check(registered.token_type === 'bearer' && registered.user.email === email, 'registered');
  const userId = registered.user.id;

  const byJson = tokens(expect(await login({ client: anonymous, body: { email, password } }), 200));
  const byForm = tokens(expect(
    await loginAccessToken({ client: anonymous, body: { username: email, password } }), 200));
  check(byJson.user.id === userId && byForm.user.id === userId, 'both logins sign the user in');
  const client = signedIn(byForm.access_token);

  const me = expect(await getMe({ client }), 200);
  check(me.id === userId && me.email === email && me.name === 'TS Client', 'me');

  const path = { user_id: userId };
  const headers = { 'Idempotency-Key': crypto.randomUUID() };
  const body = { title: 'Write report', priority: 3 };
  const first = await createTask({ client, path, headers, body });
  const task = expect(first, 201);
  const replay = expect(await createTask({ client, path, headers, body }), 201);
  check(replay.id === task.id && task.priority === 3 && !task.completed, 'idempotent create');
  check(first.response.headers.get('etag') === `"${task.version}"`, 'ETag of a create');
  for (const title of ['Buy milk', 'Call Bob', 'Water plants']) {
    expect(await createTask({ client, path, body: { title } }), 201);
  }

  const page = await listTasks({
    client, path, query: { completed: false, sort: 'title', limit: 2, offset: 1 },
  });
  const titles = expect(page, 200).map((t) => t.title);
  check(JSON.stringify(titles) === '["Call Bob","Water plants"]', `page: ${titles}`);
  check(page.response.headers.get('x-total-count') === '4', 'X-Total-Count');
  const urgent = expect(await listTasks({ client, path, query: { priority_min: 3, q: 'report' } }), 200);
  check(urgent.length === 1 && urgent[0].id === task.id, 'filters');

  const taskPath = { user_id: userId, task_id: task.id };
  const got = await getTask({ client, path: taskPath });
  check(expect(got, 200).title === 'Write report', 'get');
  const etag = got.response.headers.get('etag') ?? fail('no ETag');

  const patched = expect(await updateTask({
    client, path: taskPath, headers: { 'If-Match': etag }, body: { title: 'Write the report' },
  }), 200);
  check(patched.title === 'Write the report' && patched.version === task.version + 1, 'patch');
  expectError(await updateTask({
    client, path: taskPath, headers: { 'If-Match': etag }, body: { title: 'Too late' },
  }), 412, 'PRECONDITION_FAILED');

  const done = expect(await completeTask({ client, path: taskPath, body: { completed: true } }), 200);
  check(done.completed && typeof done.completed_at === 'string', 'completed');
  const toggled = expect(await completeTask({ client, path: taskPath }), 200);
  check(!toggled.completed && toggled.completed_at === null, 'toggled back');

  const invalid = expectError(
    await createTask({ client, path, body: { title: '   ' } }), 422, 'VALIDATION_ERROR');
  check(invalid.errors?.map((e) => e.field).join() === 'title', 'the 422 names the title');

  const deleted = await deleteTask({ client, path: taskPath });
  check(deleted.response.status === 204, `delete answered ${deleted.response.status}`);
  expectError(await getTask({ client, path: taskPath }), 404, 'NOT_FOUND');

  const renewed = expect(
    await refresh({ client: anonymous, body: { refresh_token: byForm.refresh_token } }), 200);
  check(renewed.refresh_token !== byForm.refresh_token, 'a new refresh token');
  check(expect(await getMe({ client: signedIn(renewed.access_token) }), 200).id === userId,
    'the renewed access token works');
  expectError(await refresh({ client: anonymous, body: { refresh_token: byForm.refresh_token } }),
    401, 'UNAUTHORIZED');
  console.log('clients: typescript: register, login (JSON and form), me, tasks, the 412, 422 and 404 '
    + 'and refresh work');
}

main(process.argv[2] ?? fail('usage: node session.js BASE_URL')).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
