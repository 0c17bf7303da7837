// The admin API, as the page calls it: same origin, the token (if the mock has one) as a
// header on every fetch, never in a URL. The token is kept in this tab only.

import { $ } from "./dom.js";

const BASE = new URL("./", window.location.href); // the page is /__admin/ui: this is /__admin/
const TOKEN_SLOT = "juhe-mock-admin-token";

export const session = { token: sessionStorage.getItem(TOKEN_SLOT) || "", blocked: false };

/** The admin API refused the call (401, 403, 409); the page has said why already. */
export class Refused extends Error {}

export function useToken(token) {
  session.token = token;
  sessionStorage.setItem(TOKEN_SLOT, token);
}

export function notice(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = !text;
}

function askForToken(refused) {
  session.blocked = true;
  const form = $("token-form");
  form.hidden = false;
  form.querySelector("label").textContent = (refused ? "That token was refused. " : "") +
    "This mock has an admin token. Enter it to use the dashboard " +
    "(it is kept in this tab only and sent as a header, never in a URL):";
  $("token").focus();
}

export async function admin(path, options) {
  const opts = Object.assign({ cache: "no-store", credentials: "same-origin" }, options);
  const headers = new Headers(opts.headers || {});
  if (session.token) headers.set("Authorization", "Bearer " + session.token);
  opts.headers = headers;
  const response = await fetch(new URL(path, BASE), opts);
  if (response.status === 401) {
    askForToken(Boolean(session.token));
    throw new Refused("unauthorized");
  }
  if (response.status === 403 || response.status === 409) {
    const body = await response.json().catch(() => ({}));
    notice(body.message || "the admin API refused: HTTP " + response.status);
    throw new Refused("refused");
  }
  return response;
}

export async function adminJson(path, options) {
  const response = await admin(path, options);
  return { status: response.status, body: await response.json() };
}
