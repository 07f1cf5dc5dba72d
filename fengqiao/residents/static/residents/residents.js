/* 码上办: a little progressive enhancement. Without it the forms still work:
   - photos are made smaller on the phone (canvas) before upload;
   - "send me a code" asks for the code without reloading the page. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.8, SKIP_BELOW = 300 * 1024;

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < SKIP_BELOW) { resolve(file); return; }
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function enhancePhotos(form) {
    var input = form.querySelector("input[type=file][name=photos]");
    if (!input || !window.DataTransfer || !window.Promise || !HTMLCanvasElement.prototype.toBlob) return;
    var status = document.getElementById("photo-status"), pending = null;
    var max = parseInt(form.getAttribute("data-max-photos") || "6", 10);
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (files.length > max) { status.textContent = status.getAttribute("data-too-many") || ("≤ " + max); return; }
      if (!files.length) return;
      pending = Promise.all(files.map(shrink)).then(function (smaller) {
        try {
          var transfer = new DataTransfer();
          smaller.forEach(function (f) { transfer.items.add(f); });
          input.files = transfer.files;
          var kb = Math.round(smaller.reduce(function (s, f) { return s + f.size; }, 0) / 1024);
          status.textContent = smaller.length + " × " + kb + " KB ✓";
        } catch (e) { /* keep the originals: the server checks and shrinks them */ }
        pending = null;
      });
    });
    form.addEventListener("submit", function (event) {
      if (pending) {
        event.preventDefault();
        var submitter = event.submitter;
        pending.then(function () { pending = null; form.requestSubmit ? form.requestSubmit(submitter) : form.submit(); });
      }
    });
  }

  function enhanceCode(form) {
    var button = form.querySelector("button[name=send_code]");
    var phone = form.querySelector("input[name=phone]");
    var box = document.getElementById("code-status");
    if (!button || !phone || !box || !window.fetch || !window.FormData) return;
    function say(text, ok, demoCode, channel) {
      box.textContent = "";
      var p = document.createElement("p");
      p.className = ok ? "ok" : "error";
      p.textContent = text;
      box.appendChild(p);
      if (demoCode) {
        var demo = document.createElement("p"), tag = document.createElement("span"), code = document.createElement("strong");
        demo.className = "demo"; tag.className = "tag"; code.className = "demo-code";
        tag.textContent = channel;
        code.textContent = demoCode;
        demo.appendChild(tag);
        demo.appendChild(document.createTextNode(" " + (box.getAttribute("data-demo-text") || "") + " "));
        demo.appendChild(code);
        box.appendChild(demo);
      }
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("phone", phone.value);
      data.append("send_code", "1");
      button.disabled = true;
      fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
      }).then(function (response) { return response.json(); }).then(function (answer) {
        say(answer.message, answer.ok, answer.demo_code, answer.channel);
        var left = answer.ok ? 60 : 0, label = button.getAttribute("data-label") || button.textContent;
        button.setAttribute("data-label", label);
        if (!left) { button.disabled = false; return; }
        var timer = setInterval(function () {
          left -= 1;
          button.textContent = label + " (" + left + ")";
          if (left <= 0) { clearInterval(timer); button.textContent = label; button.disabled = false; }
        }, 1000);
        var code = form.querySelector("input[name=code]");
        if (code && answer.ok) code.focus();
      }).catch(function () {
        button.disabled = false;
        form.requestSubmit ? form.requestSubmit(button) : form.submit();
      });
    });
  }

  document.querySelectorAll("form.report").forEach(function (form) {
    enhancePhotos(form);
    enhanceCode(form);
  });
})();
