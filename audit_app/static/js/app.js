// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to an error summary so keyboard and screen-reader users hear what went wrong.
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  // Select a newly created API token so it can be copied at once.
  const token = document.getElementById("new-token-value");
  if (token) { token.focus(); token.select(); }
});
