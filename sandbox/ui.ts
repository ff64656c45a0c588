/** The sandbox's own small web UI ("QQ · sandbox"): sign in and edit the profile inside a network. */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";
import type { TProfilePatch } from "./profile";
import type { TAccount } from "./store";

type THtml = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
  :root { color-scheme: light dark; font-family: ui-sans-serif, system-ui, sans-serif; }
  body { margin: 0; background: Canvas; color: CanvasText; }
  header { color: #fff; padding: 12px 20px; display: flex; justify-content: space-between; align-items: center; }
  header a, header button { color: #fff; }
  main { max-width: 520px; margin: 24px auto; padding: 0 16px; }
  label { display: block; font-weight: 600; margin: 14px 0 4px; }
  input[type=text], input[type=password], select { width: 100%; box-sizing: border-box; padding: 8px; font: inherit; }
  .hint { font-size: 12px; opacity: .7; margin-top: 2px; }
  .error { background: #fee2e2; color: #991b1b; padding: 8px 12px; border-radius: 6px; }
  .notice { background: #dcfce7; color: #166534; padding: 8px 12px; border-radius: 6px; }
  button.primary { margin-top: 18px; padding: 10px 16px; font: inherit; font-weight: 600; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  img.avatar { width: 96px; height: 96px; object-fit: cover; border-radius: 8px; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 6px; border-bottom: 1px solid #8884; }
`;

function page(title: string, color: string, header: THtml, body: THtml) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <header style="background:${color}">${header}</header>
        <main>${body}</main>
      </body>
    </html>`;
}

export function renderHome() {
  const rows = Object.values(SANDBOX_NETWORKS).map(
    (n) =>
      html`<tr>
        <td><a href="/${n.id}">${n.name}</a></td>
        <td>${n.demo.login}</td>
        <td><code>${n.demo.password}</code></td>
      </tr>`,
  );
  return page(
    "OneProfile sandbox",
    "#334155",
    html`<strong>OneProfile sandbox · third-party networks</strong>`,
    html`<p>Stand-ins for the networks' servers. Sign in to one and change your profile there.</p>
      <table>
        <thead>
          <tr>
            <th>Network</th>
            <th>Demo login</th>
            <th>Password</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>`,
  );
}

export function renderSignInPage(network: TSandboxNetworkId, state: { login?: string; error?: string }) {
  const n = SANDBOX_NETWORKS[network];
  return page(
    `${n.name} · sandbox`,
    n.color,
    html`<strong>${n.name} · sandbox</strong><a href="/">All networks</a>`,
    html`<h1>Sign in to ${n.name}</h1>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      <form method="post" action="/${network}/signin">
        <label for="login">${n.login.label}</label>
        <input
          id="login"
          name="login"
          type="text"
          value="${state.login ?? ""}"
          placeholder="${n.login.placeholder}"
          required
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" required />
        <button class="primary" style="background:${n.color}" type="submit">Sign in</button>
      </form>
      <p class="hint">Demo: ${n.demo.login} / ${n.demo.password}</p>`,
  );
}

export function renderProfilePage(
  network: TSandboxNetworkId,
  account: TAccount,
  state: { error?: string; notice?: string; draft?: TProfilePatch },
) {
  const n = SANDBOX_NETWORKS[network];
  const values = { ...account.profile, ...state.draft };
  const moods = n.limits.moods.map(
    (mood) => html`<option value="${mood}" ${values.mood === mood ? "selected" : ""}>${mood}</option>`,
  );
  const avatar = account.profile.avatar;
  return page(
    `${n.name} · sandbox`,
    n.color,
    html`<strong>${n.name} · sandbox</strong>
      <form method="post" action="/${network}/signout" style="margin:0">
        <span>${account.login}</span> <button type="submit">Sign out</button>
      </form>`,
    html`<h1>Your ${n.name} profile</h1>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ""}
      <dl data-testid="current-profile">
        <dt>Display name</dt>
        <dd data-testid="current-displayName">${account.profile.displayName}</dd>
        <dt>Signature</dt>
        <dd data-testid="current-signature">${account.profile.signature}</dd>
        <dt>Mood</dt>
        <dd data-testid="current-mood">${account.profile.mood ?? ""}</dd>
      </dl>
      ${
        avatar
          ? html`<img
              class="avatar"
              data-testid="current-avatar"
              src="/${network}/avatars/${avatar.sha256}"
              alt="Avatar"
            />`
          : ""
      }
      <form method="post" action="/${network}/profile" enctype="multipart/form-data">
        <label for="displayName">Display name</label>
        <input id="displayName" name="displayName" type="text" value="${values.displayName}" />
        <p class="hint">Up to ${n.limits.displayNameMax} characters.</p>
        <label for="signature">Signature</label>
        <input id="signature" name="signature" type="text" value="${values.signature}" />
        <p class="hint">Up to ${n.limits.signatureMax} characters.</p>
        <label for="mood">Mood</label>
        <select id="mood" name="mood">
          <option value="">(none)</option>
          ${moods}
        </select>
        ${
          n.limits.moodTextMax > 0
            ? html`<label for="moodText">Mood text</label>
                <input id="moodText" name="moodText" type="text" value="${values.moodText}" />
                <p class="hint">Up to ${n.limits.moodTextMax} characters.</p>`
            : ""
        }
        <label for="avatar">Avatar</label>
        <input
          id="avatar"
          name="avatar"
          type="file"
          accept="${n.limits.avatar.formats.map((f) => `image/${f}`).join(",")}"
        />
        <p class="hint">
          ${n.limits.avatar.formats.join(", ")}; ${n.limits.avatar.minPx}–${n.limits.avatar.maxPx}
          px${n.limits.avatar.isSquare ? ", square" : ""}; at most ${Math.round(n.limits.avatar.maxBytes / 1024)} KB.
        </p>
        <button class="primary" style="background:${n.color}" type="submit">Save</button>
      </form>`,
  );
}
