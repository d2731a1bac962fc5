"""The page `genstep serve` hands the browser: a start card, then the app in a terminal.

textual-serve's own page links a web font from the internet (on a course machine or an offline
laptop it falls back silently) and starts the app as soon as the page loads. This one names only
fonts that are on the machine, and starts the app when someone clicks Start (a tab left open on
the projector does not start a training process; the click also gives the terminal the keys).

It is a jinja template for textual-serve's server, written out at start-up (so it needs no package
data). The variables are the server's: `config.static.url`, `app_websocket_url`, `font_size`,
`application.name`. textual-serve's script (static/js/textual.js) connects every element of class
`textual-terminal` when the page has loaded; it reads `data-session-websocket-url` and
`data-font-size`, and marks `body` with `-first-byte` once the app has drawn and `-closed` when its
connection ends. Its terminal asks for the font family 'Roboto Mono' first, so that name is given
here to local monospace fonts (DejaVu Sans Mono has the braille and block glyphs the panels draw
with), with the Roboto Mono file textual-serve ships, served from this machine, as the last resort.
"""

from __future__ import annotations

TEMPLATE_NAME = "app_index.html"
LARGE_FONT = 24  # "Start with large text": about 88x30 cells on a 1280x800 projector

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ application.name }}</title>
<link rel="stylesheet" href="{{ config.static.url }}css/xterm.css">
<style>
  /* the terminal's first choice, 'Roboto Mono', is a local font here: nothing is fetched */
  @font-face {
    font-family: "Roboto Mono"; font-weight: 400;
    src: local("DejaVu Sans Mono"), local("DejaVuSansMono"), local("Menlo Regular"), local("Menlo-Regular"),
         local("Consolas"), local("Liberation Mono"), local("LiberationMono"), local("Cascadia Mono"),
         url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
  }
  @font-face {
    font-family: "Roboto Mono"; font-weight: 700;
    src: local("DejaVu Sans Mono Bold"), local("DejaVuSansMono-Bold"), local("Menlo Bold"), local("Menlo-Bold"),
         local("Consolas Bold"), local("Liberation Mono Bold"), local("LiberationMono-Bold"),
         url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
  }
  html, body { margin: 0; height: 100%; background: #10161c; color: #e8eef2; }
  body, button { font-family: "Roboto Mono", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace; }
  #terminal { position: absolute; inset: 0; opacity: 0; }
  body.-first-byte #terminal { opacity: 1; }
  .card { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; }
  .card > div { max-width: 36em; padding: 2em 2.5em; background: #18232c; border: 1px solid #2c3e4c; }
  .card h1 { margin: 0 0 .4em; font-size: 1.6em; background: transparent; }
  .card p { margin: .4em 0 1.2em; line-height: 1.4; color: #b8c4cc; }
  .card button { font-size: 1em; padding: .7em 1.4em; margin: 0 .8em .6em 0; cursor: pointer;
                 color: #fff; background: #2f6f9f; border: 0; }
  .card button.quiet { background: #34434f; }
  .card button:focus-visible { outline: 3px solid #f0c040; }
  #starting, #ended, body.-run #welcome, body.-run.-first-byte #starting { display: none; }
  body.-run #starting, body.-closed #ended { display: flex; }
  body.-closed #starting, body.-closed #terminal { display: none; }
</style>
<script src="{{ config.static.url }}js/textual.js"></script>
</head>
<body>
<div class="card" id="welcome"><div>
  <h1>{{ application.name }}</h1>
  <p>Step through the training of a generative model and watch it learn, one step at a time.
     Starting opens a fresh run; every key works as in the terminal (space plays, ? lists the keys).</p>
  <button type="button" id="start" onclick="startApp(0)">Start</button>
  <button type="button" class="quiet" id="start-large" onclick="startApp({{ large_font }})">Start with large text</button>
</div></div>
<div class="card" id="starting"><div><p>Starting {{ application.name }}&hellip;</p></div></div>
<div class="card" id="ended"><div>
  <h1>{{ application.name }} has ended</h1>
  <p>The app has quit (q) or its process has stopped. Start again for a fresh run.</p>
  <button type="button" onclick="location.reload()">Start again</button>
  <button type="button" class="quiet" onclick="location.href = location.pathname">Back</button>
</div></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{{ app_websocket_url }}"
     data-font-size="{{ font_size }}"></div>
<script>
  // Before the page has loaded (and textual.js connects its terminals): without ?run=1 this is the
  // start card, and the terminal is taken out so that no app starts.
  function startApp(fontSize) {
    const params = new URLSearchParams(location.search);
    params.set("run", "1");
    if (fontSize) params.set("fontsize", String(fontSize));
    location.search = params.toString();
  }
  if (new URLSearchParams(location.search).get("run") === "1") {
    document.body.classList.add("-run");
    // the keys go to the terminal without a click into it
    const focusTerminal = setInterval(function () {
      const input = document.querySelector("#terminal textarea");
      if (input && document.body.classList.contains("-first-byte")) { input.focus(); clearInterval(focusTerminal); }
    }, 100);
  } else {
    document.getElementById("terminal").remove();
    document.getElementById("start").focus();
  }
</script>
</body>
</html>
"""


def page(large_font: int = LARGE_FONT) -> str:
    """The template's text, with the one value that is ours filled in."""
    return PAGE.replace("{{ large_font }}", str(int(large_font)))
