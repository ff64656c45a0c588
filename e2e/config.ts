/** Shared by playwright.config.ts, the e2e server script and the tests. */
export const E2E_PORT = 3100;
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** Git-ignored: saved sessions, the e2e server's addresses and its log. */
export const E2E_STATE_DIR = "e2e/.auth";
export const USER_STATE = `${E2E_STATE_DIR}/user.json`;
export const SERVER_STATE = `${E2E_STATE_DIR}/server.json`;
/** Everything the e2e portal printed, for the test that looks for leaked secrets. */
export const SERVER_LOG = `${E2E_STATE_DIR}/server.log`;
/** The Chromium scripts/e2e.ts chose (or installed) for the browser tests; playwright.config.ts reads it. */
export const E2E_CHROMIUM_ENV = "ONEPROFILE_E2E_CHROMIUM";
