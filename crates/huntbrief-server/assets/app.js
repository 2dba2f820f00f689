// huntbrief dashboard: a copy button on every query block. Loaded from our own origin
// (the Content-Security-Policy allows no other script); the pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const code of document.querySelectorAll("article.briefing pre > code")) {
    const lang = (code.className.match(/language-(\w+)/) || [])[1] || "text";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy " + lang.toUpperCase();
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code.textContent);
        button.textContent = "Copied";
      } catch {
        // No clipboard access (plain http, old browser): select the text instead.
        const range = document.createRange();
        range.selectNodeContents(code);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
    code.parentElement.appendChild(button);
  }
});
