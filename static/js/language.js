// The footer's language switcher submits as soon as a language is chosen; without
// JavaScript its button does the same.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("[data-language-switcher]")) {
    const select = form.querySelector("select");
    const button = form.querySelector("button");
    if (!select || !button) continue;
    button.hidden = true;
    select.addEventListener("change", () => form.requestSubmit());
  }
});
