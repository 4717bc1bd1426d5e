// Passkeys (WebAuthn) for NewLedger's forms. The server makes and checks every challenge; this
// file only carries bytes between the form and navigator.credentials, base64url-encoded.
//
// - form[data-passkey-signin]: username-less sign-in, revealed where the browser has passkeys.
// - forms holding [data-passkey-stepup] (a step-up, the consent, the sign-in second step): sent
//   without a TOTP code (or with a [data-passkey-button]), they first post themselves with
//   webauthn=options, ask the authenticator, put its answer in the "passkey" field and go.
// - form[data-passkey-register]: creates a passkey from the options in data-options.
"use strict";

(() => {
  const supported = () => typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  const requestOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: withIds(json.allowCredentials),
  });
  const creationOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  });

  const common = (credential) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  });
  const assertionJSON = (credential) => ({
    ...common(credential),
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : undefined,
    },
  });
  const attestationJSON = (credential) => ({
    ...common(credential),
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
  });

  const showError = (form, message) => {
    const box = form.querySelector(".passkey-error");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    } else {
      window.alert(message);
    }
  };

  // The form's own fields (no code, no earlier answer) and the button that sent it.
  const formBody = (form, submitter) => {
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && name !== "code" && name !== "passkey") body.append(name, value);
    }
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    return body;
  };

  const fetchOptions = async (form, submitter) => {
    const body = formBody(form, submitter);
    body.set("webauthn", "options");
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok || !data || data.error) {
      throw new Error((data && data.error) || "The passkey check could not start. Reload the page and try again.");
    }
    return data;
  };

  const send = (form, submitter, answer) => {
    form.querySelector("input[name=passkey]").value = JSON.stringify(answer);
    const code = form.querySelector("input[name=code]");
    if (code) code.value = "";
    if (submitter && submitter.name) {
      const carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.append(carried);
    }
    form.submit();
  };

  const explain = (error) =>
    error && error.name === "NotAllowedError"
      ? "The passkey was not used (cancelled or timed out). Try again."
      : (error && error.message) || "The passkey could not be used.";

  const assertWith = async (form, submitter) => {
    const options = requestOptions(await fetchOptions(form, submitter));
    const credential = await navigator.credentials.get({ publicKey: options });
    send(form, submitter, assertionJSON(credential));
  };

  const wantsPasskey = (form, submitter) => {
    if (submitter && submitter.hasAttribute("data-passkey-button")) return true;
    if (submitter && submitter.hasAttribute("formnovalidate")) return false;
    const code = form.querySelector("input[name=code]");
    return !code || code.value.trim() === "";
  };

  const guard = (form, run) => {
    let busy = false;
    form.addEventListener("submit", (event) => {
      const submitter = event.submitter || null;
      if (form.querySelector("input[name=passkey]").value) return; // the answer is in: go
      if (!run.wanted(form, submitter)) return;
      event.preventDefault();
      if (busy) return;
      if (!supported()) {
        showError(form, "This browser cannot use passkeys. Use your authenticator code instead.");
        return;
      }
      busy = true;
      run.go(form, submitter).catch((error) => {
        busy = false;
        showError(form, explain(error));
      });
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const marker of document.querySelectorAll("[data-passkey-stepup]")) {
      const form = marker.closest("form") || marker;
      if (form.tagName !== "FORM" || form.dataset.passkeyBound) continue;
      form.dataset.passkeyBound = "1";
      guard(form, { wanted: wantsPasskey, go: assertWith });
    }
    for (const form of document.querySelectorAll("form[data-passkey-signin]")) {
      if (!supported()) continue;
      form.hidden = false;
      guard(form, { wanted: () => true, go: assertWith });
    }
    for (const form of document.querySelectorAll("form[data-passkey-register]")) {
      guard(form, {
        wanted: () => true,
        go: async (target, submitter) => {
          const options = creationOptions(JSON.parse(target.dataset.options));
          const credential = await navigator.credentials.create({ publicKey: options });
          send(target, submitter, attestationJSON(credential));
        },
      });
    }
  });
})();
