// Progressive enhancement only: every form works without this file.
// Print buttons: <button data-print hidden> is revealed and prints the page (reports).
// Copy buttons: <button class="copy" data-copy="#id" hidden> is revealed and copies #id's text.
document.documentElement.classList.add("js");

// A table wider than a phone scrolls inside its own box (app.css): keyboard users reach it too.
function focusableScrollers() {
  for (const table of document.querySelectorAll("main table")) {
    if (table.scrollWidth > table.clientWidth + 1) {
      table.tabIndex = 0;
    } else if (table.tabIndex === 0) {
      table.removeAttribute("tabindex");
    }
  }
}
window.addEventListener("resize", focusableScrollers);

document.addEventListener("DOMContentLoaded", () => {
  focusableScrollers();
  // On a phone the menu, company switcher and account fold behind one Menu button.
  const toggle = document.getElementById("menu-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = document.documentElement.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const target = document.querySelector(button.dataset.copy);
    if (!target || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = target.matches("ul, ol")
        ? [...target.querySelectorAll("li")].map((li) => li.textContent.trim()).join("\n")
        : target.textContent.trim();
      await navigator.clipboard.writeText(text);
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
});
