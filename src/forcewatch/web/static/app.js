// Add-a-claim form: sends the claim as JSON with the bearer token; shows the server's message.
"use strict";
(function () {
  const form = document.getElementById("claim-form");
  if (!form) return;
  const status = document.getElementById("form-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {};
    for (const key of ["speaker", "stated_on", "kind", "quote", "outlet", "source", "trend"]) {
      const value = String(data.get(key) || "").trim();
      if (value) body[key] = value;
    }
    body.sites = data.getAll("sites").map(String);
    const token = String(data.get("token") || "");
    status.textContent = "Sending…";
    try {
      const response = await fetch("/api/claims", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify(body),
      });
      const reply = await response.json().catch(() => ({}));
      if (response.status === 201) {
        window.location.assign("/claims#claim-" + encodeURIComponent(reply.id));
        return;
      }
      // a 422's error already names each problem (its "problems" list holds them one by one)
      const message = reply.error || ("the server answered " + response.status);
      status.textContent = "Not added: " + message;
    } catch (err) {
      status.textContent = "Not added: the server could not be reached";
    }
  });
})();
