// The chat page: IRC over a WebSocket (text.ircv3.net) to the server that served this page.
// Everything a user or the server sends is put on the page as text (textContent), never as markup.

import { action, colour, fold, isChannel, line, parse, plain, split } from "./irc.js";

const WANTED_CAPS = ["message-tags", "server-time", "echo-message", "batch", "labeled-response",
  "draft/chathistory", "draft/event-playback", "multi-prefix"];
const HISTORY_PAGE = 50; // lines asked for at a time
const BACKOFF_MAX = 30; // seconds between reconnect attempts, at most
const TEXT_BUDGET = 400; // bytes of text per PRIVMSG, leaving room for the prefix the server adds
const SERVER = "*"; // the window for what the server says

const $ = (id) => document.getElementById(id);
const state = {
  nick: "", realname: "", password: "", me: null, ws: null, registered: false,
  caps: new Set(), offered: new Map(), windows: new Map(), active: null,
  backoff: 1, timer: null, quitting: false, batches: new Map(), requests: new Map(), labels: 0,
  sent: [], recall: -1, draft: "", completion: null,
};

// --- windows: the server's, one per channel, one per private conversation ---------------

function windowFor(name, create = true) {
  const key = name === SERVER ? SERVER : fold(name);
  let win = state.windows.get(key);
  if (!win && create) {
    const log = document.createElement("ol");
    log.setAttribute("role", "log");
    log.setAttribute("aria-label", name === SERVER ? "Server messages" : name);
    log.hidden = true;
    $("logs").append(log);
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name === SERVER ? "server" : name;
    button.addEventListener("click", () => activate(win));
    item.append(button);
    $("windows").append(item);
    win = { name, key, log, item, button, members: new Map(), pendingNames: null, seen: new Set(),
      oldest: null, newest: null, oldestId: null, newestId: null, noOlder: false, loading: false, channel: isChannel(name) };
    log.addEventListener("scroll", () => { if (log.scrollTop < 40) older(win); });
    state.windows.set(key, win);
  }
  return win;
}

function activate(win) {
  if (state.active) { state.active.log.hidden = true; state.active.button.removeAttribute("aria-current"); }
  state.active = win;
  win.log.hidden = false;
  win.button.setAttribute("aria-current", "page");
  win.item.classList.remove("unread");
  win.log.scrollTop = win.log.scrollHeight;
  renderUsers();
  if (win.log.scrollHeight <= win.log.clientHeight) older(win);
}

function renderUsers() {
  const win = state.active;
  const list = $("users");
  list.replaceChildren();
  const nicks = win && win.channel ? [...win.members.values()] : [];
  nicks.sort((a, b) => fold(a.replace(/^[@+]+/, "")).localeCompare(fold(b.replace(/^[@+]+/, ""))));
  for (const nick of nicks) {
    const item = document.createElement("li");
    item.textContent = nick;
    item.className = `nick c${colour(nick.replace(/^[@+]+/, ""))}`;
    list.append(item);
  }
  $("users-title").textContent = win && win.channel ? `Users (${nicks.length})` : "Users";
}

// --- showing lines ---------------------------------------------------------------------

function timeOf(tags) {
  const stamp = tags && tags.time ? Date.parse(tags.time) : NaN;
  return Number.isNaN(stamp) ? Date.now() : stamp;
}

// One line in a window, in time order; `who` gets its nick colour; text is only ever text.
function show(win, { time = Date.now(), msgid = null, who = null, text = "", kind = "message", older = false }) {
  if (msgid) {
    if (win.seen.has(msgid)) return;
    win.seen.add(msgid);
  }
  const item = document.createElement("li");
  item.className = kind;
  item.dataset.time = String(time);
  if (msgid) item.dataset.msgid = msgid;
  const when = document.createElement("time");
  const date = new Date(time);
  when.dateTime = date.toISOString();
  when.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  item.append(when, " ");
  if (who) {
    const nick = document.createElement("span");
    nick.className = `nick c${colour(who)}`;
    nick.textContent = kind === "action" ? `* ${who}` : who;
    item.append(nick, " ");
  }
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = plain(text);
  item.append(body);
  const log = win.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  let after = log.lastElementChild;
  // in time order; a line from an older page of history goes before the lines of its same millisecond
  while (after && (Number(after.dataset.time) > time || (older && Number(after.dataset.time) === time))) {
    after = after.previousElementSibling;
  }
  const before = log.scrollHeight;
  if (after) after.after(item); else log.prepend(item);
  if (win.oldest === null || time <= win.oldest) { win.oldest = time; win.oldestId = msgid || win.oldestId; }
  if (win.newest === null || time >= win.newest) { win.newest = time; win.newestId = msgid || win.newestId; }
  if (!after && log.children.length > 1) log.scrollTop += log.scrollHeight - before; // older lines above: stay put
  else if (atBottom) log.scrollTop = log.scrollHeight;
  if (win !== state.active && kind !== "event") win.item.classList.add("unread");
}

const note = (text, win = state.active || windowFor(SERVER)) => show(win, { text, kind: "notice" });

function status(text) { $("status").textContent = text; }

// --- the connection ----------------------------------------------------------------------

function send(...parts) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(line(...parts));
}

function connect() {
  clearTimeout(state.timer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/`, ["text.ircv3.net"]);
  state.ws = ws;
  state.registered = false;
  state.caps = new Set();
  state.batches.clear();
  state.requests.clear();
  status("connecting…");
  ws.addEventListener("open", () => {
    if (state.password) send("PASS", `${state.nick}:${state.password}`);
    send("CAP", "LS", "302");
    send("NICK", state.me || state.nick);
    send("USER", state.nick.replace(/[^A-Za-z0-9]/g, "").slice(0, 10) || "web", "0", "*",
      state.realname || state.nick);
  });
  ws.addEventListener("message", (event) => {
    if (ws !== state.ws) return;
    try { receive(parse(String(event.data))); } catch (error) { console.warn("could not handle", event.data, error); }
  });
  ws.addEventListener("close", () => {
    if (ws !== state.ws) return;
    state.ws = null;
    for (const win of state.windows.values()) { win.members.clear(); win.loading = false; }
    renderUsers();
    if (state.quitting) { status("disconnected"); return; }
    const wait = state.backoff;
    state.backoff = Math.min(BACKOFF_MAX, state.backoff * 2);
    status(`disconnected; reconnecting in ${wait} s`);
    state.timer = setTimeout(connect, wait * 1000 * (0.8 + Math.random() * 0.4));
  });
}

// --- what the server says ----------------------------------------------------------------

function receive(msg) {
  const ref = msg.tags.batch;
  if (ref && state.batches.has(ref) && msg.command !== "BATCH") {
    state.batches.get(ref).lines.push(msg);
    return;
  }
  const handler = HANDLERS[msg.command];
  if (handler) handler(msg);
  else if (/^[45]\d\d$/.test(msg.command)) note(msg.params.slice(1).join(" "));
}

const HANDLERS = {
  PING: (msg) => send("PONG", ...msg.params),
  CAP: (msg) => {
    const [, sub, ...rest] = msg.params;
    if (sub === "LS") {
      const more = rest[0] === "*";
      for (const word of (more ? rest[1] : rest[0] || "").split(" ")) {
        if (!word) continue;
        const eq = word.indexOf("=");
        state.offered.set(eq < 0 ? word : word.slice(0, eq), eq < 0 ? "" : word.slice(eq + 1));
      }
      if (more) return;
      if (state.offered.has("sasl")) accountsOffered();
      const wanted = WANTED_CAPS.filter((cap) => state.offered.has(cap));
      if (wanted.length) send("CAP", "REQ", wanted.join(" ")); else send("CAP", "END");
    } else if (sub === "ACK" || sub === "NAK") {
      if (sub === "ACK") for (const cap of rest.join(" ").split(" ")) if (cap) state.caps.add(cap.replace(/^-/, ""));
      if (!state.registered) send("CAP", "END");
    }
  },
  "001": (msg) => {
    state.me = msg.params[0];
    state.registered = true;
    state.backoff = 1;
    status(`connected as ${state.me}`);
    localStorage.setItem("geventchat.nick", state.nick);
  },
  "433": (msg) => {
    if (state.registered) { note(`${msg.params[1]} is already in use`); return; }
    const tried = msg.params[1] || state.nick;
    state.me = tried.length < 9 ? `${tried}_` : `${tried.slice(0, 7)}${Math.floor(Math.random() * 90 + 10)}`;
    note(`${tried} is taken; trying ${state.me}`, windowFor(SERVER));
    send("NICK", state.me);
  },
  "432": (msg) => {
    if (!state.registered) { backToForm(`${msg.params[1]} cannot be a nickname: ${msg.params[2] || ""}`); }
    else note(msg.params.slice(1).join(" "));
  },
  "372": (msg) => note(msg.params[1], windowFor(SERVER)),
  "353": (msg) => {
    const win = windowFor(msg.params[2]);
    win.pendingNames = win.pendingNames || new Map();
    for (const entry of msg.params[3].split(" ")) if (entry) {
      const nick = entry.split("!")[0];
      win.pendingNames.set(fold(nick.replace(/^[@+]+/, "")), nick);
    }
  },
  "366": (msg) => {
    const win = windowFor(msg.params[1]);
    win.members = win.pendingNames || new Map();
    win.pendingNames = null;
    if (win === state.active) renderUsers();
  },
  JOIN: (msg) => {
    const win = windowFor(msg.params[0]);
    if (msg.nick === state.me) {
      if (!state.active || state.active.key === SERVER) activate(win);
      fillHistory(win);
      return;
    }
    win.members.set(fold(msg.nick), msg.nick);
    if (win === state.active) renderUsers();
    show(win, { time: timeOf(msg.tags), msgid: msg.tags.msgid, text: `${msg.nick} joined`, kind: "event" });
  },
  PART: (msg) => {
    const win = windowFor(msg.params[0]);
    win.members.delete(fold(msg.nick));
    if (win === state.active) renderUsers();
    show(win, { time: timeOf(msg.tags), msgid: msg.tags.msgid, kind: "event",
      text: `${msg.nick} left${msg.params[1] ? ` (${msg.params[1]})` : ""}` });
  },
  QUIT: (msg) => {
    for (const win of state.windows.values()) {
      if (!win.members.delete(fold(msg.nick))) continue;
      show(win, { time: timeOf(msg.tags), msgid: msg.tags.msgid, kind: "event",
        text: `${msg.nick} quit${msg.params[0] ? ` (${msg.params[0]})` : ""}` });
    }
    renderUsers();
  },
  NICK: (msg) => {
    const renamed = msg.params[0];
    if (msg.nick === state.me) { state.me = renamed; status(`connected as ${renamed}`); }
    for (const win of state.windows.values()) {
      if (!win.members.has(fold(msg.nick)) && msg.nick !== state.me && renamed !== state.me) continue;
      if (win.members.delete(fold(msg.nick))) win.members.set(fold(renamed), renamed);
      if (win.channel) show(win, { time: timeOf(msg.tags), msgid: msg.tags.msgid, kind: "event",
        text: `${msg.nick} is now ${renamed}` });
    }
    renderUsers();
  },
  PRIVMSG: (msg) => said(msg),
  NOTICE: (msg) => said(msg),
  BATCH: (msg) => {
    const [ref, type, ...params] = msg.params;
    if (ref.startsWith("+")) {
      state.batches.set(ref.slice(1), { type, params, label: msg.tags.label, lines: [] });
      return;
    }
    const batch = state.batches.get(ref.slice(1));
    state.batches.delete(ref.slice(1));
    if (!batch) return;
    if (batch.type === "chathistory") {
      const win = windowFor(batch.params[0]);
      const request = (batch.label && state.requests.get(batch.label)) || win;
      if (request.loading === "BEFORE") for (const old of [...batch.lines].reverse()) replay(win, old, true);
      else for (const old of batch.lines) replay(win, old);
      finished(batch.label, win, batch.lines.length);
    } else {
      for (const inner of batch.lines) receive({ ...inner, tags: { ...inner.tags, batch: undefined } });
      finished(batch.label, null, 0);
    }
  },
  ACK: (msg) => finished(msg.tags.label, null, 0),
  FAIL: (msg) => {
    if (msg.params[0] === "CHATHISTORY") { finished(msg.tags.label, null, 0); return; }
    note(msg.params.slice(2).join(" "));
  },
  ERROR: (msg) => note(msg.params[0] || "closed by the server", windowFor(SERVER)),
};

// PRIVMSG and NOTICE: to a channel, to me (a private message), or my own echoed back.
function said(msg, older = false) {
  const [target, text = ""] = msg.params;
  if (!msg.prefix || !msg.prefix.includes("!")) { // from the server itself
    note(text, state.active && state.registered ? state.active : windowFor(SERVER));
    return;
  }
  const mine = state.me && fold(msg.nick) === fold(state.me);
  const other = isChannel(target) ? target : mine ? target : msg.nick;
  const win = windowFor(other);
  const act = action(text);
  if (text.startsWith("\x01") && act === null) return; // other CTCP: nothing to show
  show(win, { time: timeOf(msg.tags), msgid: msg.tags.msgid, who: msg.nick,
    text: act ?? text, kind: act !== null ? "action" : msg.command === "NOTICE" ? "notice" : "message", older });
}

// A line from history: shown, with no effect on who is here now.
function replay(win, msg, older = false) {
  const time = timeOf(msg.tags);
  const base = { time, msgid: msg.tags.msgid, kind: "event", older };
  if (msg.command === "PRIVMSG" || msg.command === "NOTICE") said(msg, older);
  else if (msg.command === "JOIN") show(win, { ...base, text: `${msg.nick} joined` });
  else if (msg.command === "PART") show(win, { ...base, text: `${msg.nick} left` });
  else if (msg.command === "QUIT") show(win, { ...base, text: `${msg.nick} quit${msg.params[0] ? ` (${msg.params[0]})` : ""}` });
  else if (msg.command === "NICK") show(win, { ...base, text: `${msg.nick} is now ${msg.params[0]}` });
}

// --- history (draft/chathistory, when the server offers it) --------------------------------

function ask(win, kind, ...params) {
  if (!state.caps.has("draft/chathistory") || win.loading) return;
  win.loading = kind;
  const label = `h${++state.labels}`;
  state.requests.set(label, win);
  const tagged = state.caps.has("labeled-response") ? `@label=${label} ` : "";
  if (!tagged) state.requests.set(`pending:${win.key}`, win);
  state.ws.send(tagged + line("CHATHISTORY", kind, win.name, ...params));
}

// A history reference: the msgid when we have one (exact, even within one millisecond), else the time.
const ref = (id, ms) => (id ? `msgid=${id}` : `timestamp=${new Date(ms).toISOString()}`);

function fillHistory(win) {
  // on connect: the latest lines; after a reconnect: everything since the newest line we have
  if (win.newest === null) ask(win, "LATEST", "*", String(HISTORY_PAGE));
  else ask(win, "LATEST", ref(win.newestId, win.newest), String(limitOf()));
}

function older(win) {
  if (!win.channel || win.noOlder || win.oldest === null || !state.registered) return;
  ask(win, "BEFORE", ref(win.oldestId, win.oldest), String(HISTORY_PAGE));
}

function limitOf() {
  const isupport = Number(state.offered.get("draft/chathistory")) || 0;
  return Math.max(HISTORY_PAGE, Math.min(isupport || 1000, 1000));
}

function finished(label, win, count) {
  const known = label ? state.requests.get(label) : win;
  if (label) state.requests.delete(label);
  const target = known || win;
  if (!target) return;
  if (target.loading === "BEFORE" && count === 0) target.noOlder = true;
  target.loading = false;
  if (target === state.active && target.log.scrollHeight <= target.log.clientHeight) older(target);
}

// --- what the user types ------------------------------------------------------------------

function submit(text) {
  if (!text.trim()) return;
  state.sent.push(text);
  if (state.sent.length > 200) state.sent.shift();
  state.recall = -1;
  const win = state.active;
  if (text.startsWith("/") && !text.startsWith("//")) { command(text.slice(1)); return; }
  if (!win || win.key === SERVER) { note("join a channel first: /join #channel"); return; }
  say(win.name, text.startsWith("//") ? text.slice(1) : text);
}

function say(target, text, isAction = false) {
  for (const piece of split(text, TEXT_BUDGET - target.length)) {
    send("PRIVMSG", target, isAction ? `\x01ACTION ${piece}\x01` : piece);
    if (!state.caps.has("echo-message")) {
      show(windowFor(target), { who: state.me, text: piece, kind: isAction ? "action" : "message" });
    }
  }
}

function command(input) {
  const space = input.indexOf(" ");
  const verb = (space < 0 ? input : input.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : input.slice(space + 1).trim();
  const win = state.active;
  if (verb === "me") {
    if (win && win.key !== SERVER) say(win.name, rest, true);
  } else if (verb === "nick" && rest) {
    send("NICK", rest.split(" ")[0]);
    state.nick = rest.split(" ")[0];
  } else if ((verb === "msg" || verb === "query") && rest) {
    const [target, ...words] = rest.split(" ");
    const query = windowFor(target);
    activate(query);
    if (words.length) say(target, words.join(" "));
  } else if (verb === "join" && rest) {
    send("JOIN", ...rest.split(" "));
  } else if (verb === "part") {
    if (win && win.channel) send("PART", win.name, rest || "leaving");
  } else if (verb === "quit") {
    state.quitting = true;
    send("QUIT", rest || "leaving");
    backToForm("");
  } else if (verb === "help") {
    note("commands: /me <action>, /nick <new>, /msg <nick> <text>, /join <#channel>, /part, /quit [message]; //text sends text starting with /");
  } else if (verb) {
    state.ws && state.ws.readyState === WebSocket.OPEN && state.ws.send(input);
  }
}

function onKey(event) {
  const input = event.target;
  if (event.key !== "Tab") state.completion = null;
  if (event.key === "ArrowUp" || event.key === "ArrowDown") {
    if (!state.sent.length) return;
    event.preventDefault();
    if (state.recall === -1) state.draft = input.value;
    const next = event.key === "ArrowUp"
      ? (state.recall === -1 ? state.sent.length - 1 : Math.max(0, state.recall - 1))
      : (state.recall === -1 ? -1 : state.recall + 1);
    state.recall = next >= state.sent.length ? -1 : next;
    input.value = state.recall === -1 ? state.draft : state.sent[state.recall];
  } else if (event.key === "Tab") {
    event.preventDefault();
    complete(input);
  }
}

// Tab: complete the nick before the cursor from the active channel's users; Tab again: the next one.
function complete(input) {
  const win = state.active;
  if (!win || !win.channel) return;
  if (!state.completion) {
    const cursor = input.selectionStart;
    const start = input.value.lastIndexOf(" ", cursor - 1) + 1;
    const word = fold(input.value.slice(start, cursor));
    if (!word) return;
    const matches = [...win.members.values()].map((n) => n.replace(/^[@+]+/, ""))
      .filter((n) => fold(n).startsWith(word) && n !== state.me).sort((a, b) => fold(a).localeCompare(fold(b)));
    if (!matches.length) return;
    state.completion = { start, end: cursor, matches, index: -1, tail: input.value.slice(cursor) };
  }
  const c = state.completion;
  c.index = (c.index + 1) % c.matches.length;
  const suffix = c.start === 0 ? ": " : " ";
  const head = input.value.slice(0, c.start) + c.matches[c.index] + suffix;
  input.value = head + c.tail.replace(/^ /, "");
  input.setSelectionRange(head.length, head.length);
}

// --- the two views ------------------------------------------------------------------------

function accountsOffered() {
  localStorage.setItem("geventchat.accounts", "1");
  $("account-fields").hidden = false;
}

function backToForm(error) {
  state.quitting = true;
  clearTimeout(state.timer);
  if (state.ws) state.ws.close();
  $("join-error").textContent = error;
  $("chat-view").hidden = true;
  $("join-view").hidden = false;
  $("nick").focus();
}

function start(event) {
  event.preventDefault();
  state.nick = $("nick").value.trim();
  state.realname = $("realname").value.trim();
  state.password = $("password").value;
  state.me = null;
  state.quitting = false;
  state.backoff = 1;
  localStorage.setItem("geventchat.realname", state.realname);
  $("join-view").hidden = true;
  $("chat-view").hidden = false;
  if (!state.active) activate(windowFor(SERVER));
  $("message").focus();
  connect();
}

document.addEventListener("DOMContentLoaded", () => {
  $("nick").value = localStorage.getItem("geventchat.nick") || "";
  $("realname").value = localStorage.getItem("geventchat.realname") || "";
  if (localStorage.getItem("geventchat.accounts")) $("account-fields").hidden = false;
  $("join-form").addEventListener("submit", start);
  $("input-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("message");
    submit(input.value);
    input.value = "";
  });
  $("message").addEventListener("keydown", onKey);
  // leaving the page says goodbye at once (a browser may keep a hidden page's socket open);
  // coming back to it from the history connects again
  window.addEventListener("pagehide", () => {
    if (!state.ws) return;
    state.quitting = true;
    send("QUIT", "Page closed");
    state.ws.close(1000);
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && !$("chat-view").hidden) { state.quitting = false; connect(); }
  });
  (state.nick ? $("message") : $("nick")).focus();
});
