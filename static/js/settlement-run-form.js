// New settlement run: choosing a company reloads the form with that company's default
// period (the day after its last run up to yesterday, computed by the server).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.settlement-run-form");
  const company = form && form.querySelector("select[name=company]");
  if (!company) return;
  company.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("company", company.value);
    window.location.assign(url.toString());
  });
});
