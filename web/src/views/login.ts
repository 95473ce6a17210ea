// views/login.ts: user name and password → POST /api/v1/login, then on to where the user was going.

import { api, ApiError } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { errorText, session, type View } from "../ui";

export const loginView: View = ({ root, params, navigate }) => {
  const user = h("input", { id: "login-user", name: "user", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const msg = h("div", { class: "error hidden", role: "alert", id: "login-error" });
  const submit = h("button", { type: "submit", class: "primary", id: "login-submit", text: t("login.submit") });
  const form = h(
    "form",
    { class: "login card", id: "login-form" },
    h("h1", { text: t("login.title") }),
    h("label", {}, h("span", { text: t("login.user") }), user),
    h("label", {}, h("span", { text: t("login.password") }), password),
    msg,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    msg.classList.add("hidden");
    try {
      session.me = await api.login(user.value.trim(), password.value);
      const next = params.get("next") ?? "";
      navigate(next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/line");
    } catch (e) {
      msg.textContent = e instanceof ApiError && e.status === 401 ? t("login.failed") : errorText(e);
      msg.classList.remove("hidden");
      submit.disabled = false;
      password.select();
    }
  });
  root.append(h("div", { class: "login-wrap" }, form));
  user.focus();
};
