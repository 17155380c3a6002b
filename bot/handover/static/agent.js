// The agents' console: lists open hand-over tickets, shows one, sends answers, closes it.
// The token is kept in sessionStorage (this tab only) and sent as a bearer token to the
// /api/v1/handover API. Every text from the server is shown with textContent, never as HTML.
"use strict";

(() => {
  const API = "/api/v1/handover";
  const TOKEN_KEY = "civicbot.agent.token";
  const LANGUAGE_KEY = "civicbot.agent.language";
  const REFRESH_MS = 15000;
  const PREVIEW_CHARS = 90;

  const TEXTS = {
    fr: {
      title: "Console des agents",
      other_language: "English",
      login_title: "Connexion",
      token_label: "Jeton d'agent",
      token_hint: "Collez le jeton que l'on vous a remis. Il reste dans cet onglet et disparaît quand vous le fermez.",
      sign_in: "Se connecter",
      sign_out: "Se déconnecter",
      queue_title: "Demandes ouvertes",
      refresh: "Actualiser",
      no_tickets: "Aucune demande ouverte.",
      answer_label: "Votre réponse",
      send: "Envoyer",
      close: "Clore la demande",
      ticket: "Demande n° {id}",
      waiting: "attend une réponse {since}",
      up_to_date: "répondue",
      no_message: "pas encore de message",
      meta: "Ouverte {opened} · langue : {language} · {agent}",
      nobody_yet: "personne n'a encore répondu",
      taken_by: "prise en charge par {agent}",
      languages: { fr: "français", en: "anglais" },
      resident: "Habitant·e",
      agent: "Mairie",
      events: {
        opened: "La demande est ouverte.",
        closed_by_resident: "L'habitant·e a clos la demande et est revenu·e au robot.",
        closed_by_agent: "La demande a été close par la mairie.",
      },
      location: "Position envoyée : {latitude}, {longitude}",
      map: "voir sur OpenStreetMap",
      attachment: "Pièce jointe ({kind}) — référence : {reference}",
      signed_in: "Connecté·e.",
      signed_out: "Déconnecté·e : le jeton a été oublié.",
      sent: "Réponse envoyée à l'habitant·e de la demande n° {id}.",
      closed: "Demande n° {id} close : l'habitant·e en est informé·e.",
      confirm_close: "Clore la demande n° {id} ? L'habitant·e en sera informé·e et reviendra au robot.",
      token_missing: "Collez votre jeton avant de vous connecter.",
      empty_answer: "Écrivez une réponse avant d'envoyer.",
      token_refused: "Ce jeton est inconnu ou a été révoqué.",
      forbidden: "Ce jeton n'a pas le droit « agent ».",
      gone: "Cette demande n'existe pas.",
      already_closed: "Cette demande est déjà close.",
      invalid: "Refusé : {message}",
      offline: "Le serveur ne répond pas ; nouvel essai à la prochaine actualisation.",
    },
    en: {
      title: "Agents' console",
      other_language: "Français",
      login_title: "Sign in",
      token_label: "Agent token",
      token_hint: "Paste the token you were given. It stays in this tab and is gone when you close it.",
      sign_in: "Sign in",
      sign_out: "Sign out",
      queue_title: "Open requests",
      refresh: "Refresh",
      no_tickets: "No open request.",
      answer_label: "Your answer",
      send: "Send",
      close: "Close the request",
      ticket: "Request no. {id}",
      waiting: "waiting for an answer {since}",
      up_to_date: "answered",
      no_message: "no message yet",
      meta: "Opened {opened} · language: {language} · {agent}",
      nobody_yet: "nobody has answered yet",
      taken_by: "taken by {agent}",
      languages: { fr: "French", en: "English" },
      resident: "Resident",
      agent: "City hall",
      events: {
        opened: "The request is open.",
        closed_by_resident: "The resident closed the request and is back with the bot.",
        closed_by_agent: "City hall closed the request.",
      },
      location: "Location sent: {latitude}, {longitude}",
      map: "see on OpenStreetMap",
      attachment: "Attachment ({kind}) — reference: {reference}",
      signed_in: "Signed in.",
      signed_out: "Signed out: the token was forgotten.",
      sent: "Answer sent to the resident of request no. {id}.",
      closed: "Request no. {id} closed: the resident is told.",
      confirm_close: "Close request no. {id}? The resident will be told and go back to the bot.",
      token_missing: "Paste your token before signing in.",
      empty_answer: "Write an answer before sending.",
      token_refused: "This token is unknown or was revoked.",
      forbidden: "This token lacks the \"agent\" scope.",
      gone: "This request does not exist.",
      already_closed: "This request is already closed.",
      invalid: "Refused: {message}",
      offline: "The server does not answer; trying again at the next refresh.",
    },
  };

  const state = { language: "fr", tickets: [], current: null, detail: null, timer: null };
  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(status, error) {
      super((error && error.message) || `HTTP ${status}`);
      this.status = status;
    }
  }

  function t(key, values = {}) {
    const text = TEXTS[state.language][key] ?? TEXTS.fr[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // A table of texts (events, language names) in the console's language.
  function table(key) {
    return TEXTS[state.language][key];
  }

  function say(message, isError = false) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async function api(path, options = {}) {
    const headers = { Authorization: `Bearer ${token()}`, Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method: options.method || "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        cache: "no-store",
      });
    } catch (failure) {
      throw new ApiError(0, null);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body && body.error);
    return body;
  }

  function explain(error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) {
      signOut();
      say(t("token_refused"), true);
    } else if (error.status === 403) {
      say(t("forbidden"), true);
    } else if (error.status === 404) {
      say(t("gone"), true);
    } else if (error.status === 409) {
      say(t("already_closed"), true);
    } else if (error.status === 400) {
      say(t("invalid", { message: error.message }), true);
    } else {
      say(t("offline"), true);
    }
  }

  function since(moment) {
    const seconds = (new Date(moment).getTime() - Date.now()) / 1000;
    const format = new Intl.RelativeTimeFormat(state.language, { numeric: "auto" });
    if (Math.abs(seconds) < 3600) return format.format(Math.round(seconds / 60), "minute");
    if (Math.abs(seconds) < 86400) return format.format(Math.round(seconds / 3600), "hour");
    return format.format(Math.round(seconds / 86400), "day");
  }

  function preview(message) {
    if (!message) return t("no_message");
    if (message.text) {
      const text = message.text.replace(/\s+/g, " ");
      return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
    }
    if (message.location) return t("location", message.location);
    if (message.attachment) return t("attachment", message.attachment);
    return "";
  }

  // Waiting tickets first (the longest waiting first), then the most recently active.
  function byUrgency(a, b) {
    if (a.waiting_since && b.waiting_since) return a.waiting_since.localeCompare(b.waiting_since);
    if (a.waiting_since || b.waiting_since) return a.waiting_since ? -1 : 1;
    return b.updated_at.localeCompare(a.updated_at);
  }

  function renderTickets() {
    const list = $("tickets");
    list.replaceChildren();
    const tickets = [...state.tickets].sort(byUrgency);
    for (const ticket of tickets) {
      const button = element("button");
      button.type = "button";
      button.dataset.id = String(ticket.id);
      button.setAttribute("aria-current", String(ticket.id === state.current));
      button.append(element("span", "number", t("ticket", { id: ticket.id })), " · ");
      button.append(ticket.waiting_since
        ? element("span", "waiting", t("waiting", { since: since(ticket.waiting_since) }))
        : element("span", "answered", t("up_to_date")));
      button.append(element("span", "preview", preview(ticket.last_message)));
      button.addEventListener("click", () => openTicket(ticket.id, true));
      const item = element("li");
      item.append(button);
      list.append(item);
    }
    $("no-tickets").hidden = tickets.length > 0;
  }

  function messageItem(message) {
    if (message.event) return element("li", "system", table("events")[message.event] || message.event);
    const item = element("li", message.author);
    item.append(element("span", "who", `${t(message.author)} · ${new Date(message.at).toLocaleString(state.language)}`));
    if (message.text) item.append(message.text);
    if (message.location) {
      const { latitude, longitude } = message.location;
      const line = element("span", "where", t("location", { latitude, longitude }) + " — ");
      const link = element("a", null, t("map"));
      link.href = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=18/${latitude}/${longitude}`;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      line.append(link);
      item.append(element("br"), line);
    }
    if (message.attachment) item.append(element("br"), element("span", "file", t("attachment", message.attachment)));
    return item;
  }

  function renderTicket() {
    const ticket = state.detail;
    $("ticket").hidden = !ticket;
    if (!ticket) return;
    $("ticket-title").textContent = t("ticket", { id: ticket.id });
    $("ticket-meta").textContent = t("meta", {
      opened: since(ticket.opened_at),
      language: table("languages")[ticket.language] || ticket.language,
      agent: ticket.agent ? t("taken_by", { agent: ticket.agent }) : t("nobody_yet"),
    });
    $("messages").replaceChildren(...ticket.messages.map(messageItem));
  }

  async function loadTickets() {
    const page = await api("/tickets?status=open");
    state.tickets = page.tickets;
    if (state.current !== null && !state.tickets.some((ticket) => ticket.id === state.current)) {
      state.current = null;
      state.detail = null;
      renderTicket();
    }
    renderTickets();
  }

  async function openTicket(id, focus = false) {
    try {
      state.detail = await api(`/tickets/${id}`);
      state.current = id;
    } catch (error) {
      state.current = null;
      state.detail = null;
      explain(error);
    }
    renderTicket();
    renderTickets();
    if (focus && state.detail) $("ticket-title").focus();
  }

  async function refresh() {
    try {
      await loadTickets();
      if (state.current !== null) await openTicket(state.current);
    } catch (error) {
      explain(error);
    }
  }

  async function send(event) {
    event.preventDefault();
    const box = $("answer");
    const text = box.value.trim();
    if (!text) {
      say(t("empty_answer"), true);
      box.focus();
      return;
    }
    const id = state.current;
    try {
      await api(`/tickets/${id}/messages`, { method: "POST", body: { text } });
      box.value = "";
      say(t("sent", { id }));
      await refresh();
    } catch (error) {
      explain(error);
      await refresh();
    }
  }

  async function closeTicket() {
    const id = state.current;
    if (id === null || !window.confirm(t("confirm_close", { id }))) return;
    try {
      await api(`/tickets/${id}/close`, { method: "POST" });
      say(t("closed", { id }));
    } catch (error) {
      explain(error);
    }
    state.current = null;
    state.detail = null;
    renderTicket();
    await refresh();
  }

  function showDesk(signedIn) {
    $("login").hidden = signedIn;
    $("desk").hidden = !signedIn;
    clearInterval(state.timer);
    state.timer = signedIn ? setInterval(refresh, REFRESH_MS) : null;
  }

  async function signIn(event) {
    event.preventDefault();
    const field = $("token");
    const value = field.value.trim();
    if (!value) {
      say(t("token_missing"), true);
      field.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    field.value = "";
    try {
      await loadTickets();
      showDesk(true);
      say(t("signed_in"));
    } catch (error) {
      explain(error);
      if (error.status !== 401) showDesk(true);
    }
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    Object.assign(state, { tickets: [], current: null, detail: null });
    renderTicket();
    renderTickets();
    showDesk(false);
    say(t("signed_out"));
  }

  function applyLanguage() {
    document.documentElement.lang = state.language;
    document.title = `${t("title")} — civicbot`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
    $("language").textContent = t("other_language");
    $("language").lang = state.language === "fr" ? "en" : "fr";
    renderTickets();
    renderTicket();
  }

  function start() {
    state.language = localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "fr";
    $("login-form").addEventListener("submit", signIn);
    $("answer-form").addEventListener("submit", send);
    $("close-ticket").addEventListener("click", closeTicket);
    $("refresh").addEventListener("click", refresh);
    $("sign-out").addEventListener("click", signOut);
    $("language").addEventListener("click", () => {
      state.language = state.language === "fr" ? "en" : "fr";
      localStorage.setItem(LANGUAGE_KEY, state.language);
      applyLanguage();
    });
    applyLanguage();
    if (token()) {
      showDesk(true);
      refresh();
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
