// IRC lines <-> messages, and the small facts the page needs about them. No DOM here.

const TAG_ESCAPES = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

export function parse(line) {
  let rest = line;
  const tags = {};
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    for (const item of rest.slice(1, space < 0 ? undefined : space).split(";")) {
      const eq = item.indexOf("=");
      const key = eq < 0 ? item : item.slice(0, eq);
      const raw = eq < 0 ? "" : item.slice(eq + 1);
      if (key) tags[key] = raw.replace(/\\(.?)/g, (_, c) => TAG_ESCAPES[c] ?? c);
    }
    rest = space < 0 ? "" : rest.slice(space + 1).replace(/^ +/, "");
  }
  let prefix = null;
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    prefix = rest.slice(1, space < 0 ? undefined : space);
    rest = space < 0 ? "" : rest.slice(space + 1).replace(/^ +/, "");
  }
  const params = [];
  let command = "";
  while (rest) {
    if (rest.startsWith(":") && command) { params.push(rest.slice(1)); break; }
    const space = rest.indexOf(" ");
    const word = space < 0 ? rest : rest.slice(0, space);
    if (!command) command = word.toUpperCase(); else params.push(word);
    rest = space < 0 ? "" : rest.slice(space + 1).replace(/^ +/, "");
  }
  return { tags, prefix, command, params, nick: prefix ? prefix.split("!")[0] : null };
}

// A line to send: middle parameters as they are, the last one after ':' when it must be.
export function line(command, ...params) {
  const clean = params.map((p) => String(p).replace(/[\r\n\0]/g, " "));
  const last = clean.pop();
  const head = [command, ...clean].join(" ");
  if (last === undefined) return head;
  return `${head} ${last === "" || last.includes(" ") || last.startsWith(":") ? ":" : ""}${last}`;
}

// rfc1459 casemapping: {}|^ are the lower case of []\~
export function fold(name) {
  return name.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ "[": "{", "]": "}", "\\": "|", "~": "^" })[c]);
}

export const isChannel = (name) => /^[#&+!]/.test(name);

// A nick's colour, 0..15: the same nick always gets the same one.
export function colour(nick) {
  let hash = 0;
  for (const ch of fold(nick)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 16;
}

// CTCP ACTION (/me): the text inside \x01ACTION ...\x01, or null.
export function action(text) {
  const match = /^\x01ACTION ?(.*?)\x01?$/.exec(text);
  return match ? match[1] : null;
}

// What IRC formatting codes (colours, bold) would draw: dropped, the page shows plain text.
export function plain(text) {
  return text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
}

// The UTF-8 length of a string: IRC's 512 bytes are bytes, not characters.
export const bytes = (text) => new TextEncoder().encode(text).length;

// Cut `text` into pieces whose UTF-8 length fits `budget`, at spaces where it can.
export function split(text, budget) {
  const pieces = [];
  let rest = text;
  while (bytes(rest) > budget) {
    let cut = rest.length;
    while (cut > 0 && bytes(rest.slice(0, cut)) > budget) cut = Math.floor(cut * 0.9);
    while (cut < rest.length && bytes(rest.slice(0, cut + 1)) <= budget) cut += 1;
    const space = rest.lastIndexOf(" ", cut);
    if (space > cut / 2) cut = space;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, "");
  }
  if (rest) pieces.push(rest);
  return pieces;
}
