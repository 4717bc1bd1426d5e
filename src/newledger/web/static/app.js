// Progressive enhancement only: every form works without this file.
// Print buttons: <button data-print hidden> is revealed and prints the page (reports).
// Copy buttons: <button class="copy" data-copy="#id" hidden> is revealed and copies #id's text.
document.addEventListener("DOMContentLoaded", () => {
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
