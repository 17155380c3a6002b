/* civicbot web chat (connectors/webchat.py). No framework, no other origin, no HTML from
   anyone: every text is put in the page with textContent. */
(function () {
  "use strict";

  var STORAGE_KEY = "civicbot-webchat-visitor";
  var SOCKET_FAILURES_BEFORE_HTTP = 3;
  var RETRY_MS = 3000;
  var URL_PATTERN = /(https?:\/\/[^\s<>"']+)/;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

  var labels = JSON.parse(document.getElementById("labels").textContent);
  var lang = document.documentElement.lang;
  var params = new URLSearchParams(location.search);
  var messages = document.getElementById("messages");
  var log = document.getElementById("log");
  var statusLine = document.getElementById("status");
  var input = document.getElementById("text");
  var photoInput = document.getElementById("photo");
  var confirmBox = document.getElementById("confirm");

  var visitor = loadVisitor();
  var socket = null;
  var socketReady = false;
  var socketFailures = 0;
  var polling = false;
  var inboxAfter = 0;
  var heldShown = {}; // ids of the held messages shown: one whose acknowledgement was lost comes again
  var resetting = false;

  // -- the visitor's pseudonymous id -------------------------------------------------------
  function newVisitor() {
    var bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function loadVisitor() {
    try {
      var kept = localStorage.getItem(STORAGE_KEY);
      if (kept) { return kept; }
      kept = newVisitor();
      localStorage.setItem(STORAGE_KEY, kept);
      return kept;
    } catch (blocked) { // storage refused by the browser: an id for this visit only
      return newVisitor();
    }
  }

  function replaceVisitor() {
    visitor = newVisitor();
    try { localStorage.setItem(STORAGE_KEY, visitor); } catch (blocked) { /* this visit only */ }
  }

  // -- showing messages --------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function paragraphWithLinks(text) {
    var paragraph = element("p");
    text.split(URL_PATTERN).forEach(function (part, index) {
      if (index % 2 === 0) {
        paragraph.appendChild(document.createTextNode(part));
        return;
      }
      var trailing = (part.match(TRAILING_PUNCTUATION) || [""])[0];
      var address = part.slice(0, part.length - trailing.length);
      var link = element("a", "", address);
      link.href = address;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      paragraph.appendChild(link);
      paragraph.appendChild(document.createTextNode(trailing));
    });
    return paragraph;
  }

  function addMessage(author, text) {
    var item = element("li", "message " + author);
    item.appendChild(element("span", "visually-hidden", (author === "you" ? labels.you : labels.bot) + " "));
    item.appendChild(paragraphWithLinks(text));
    messages.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function retireChoices() {
    var old = messages.querySelectorAll(".choices button");
    for (var i = 0; i < old.length; i += 1) { old[i].disabled = true; }
  }

  function addDocument(item, documentFrame) {
    var bytes = Uint8Array.from(atob(documentFrame.content), function (c) { return c.charCodeAt(0); });
    var link = element("a", "document", labels.download.replace("{filename}", documentFrame.filename));
    link.href = URL.createObjectURL(new Blob([bytes], { type: documentFrame.mime_type }));
    link.download = documentFrame.filename;
    item.appendChild(link);
  }

  function showReply(frame) {
    retireChoices();
    var item = addMessage("bot", frame.text || "");
    if (frame.document) { addDocument(item, frame.document); }
    var buttons = (frame.choices || []).map(function (choice) {
      var button = element("button", "choice", choice.label);
      button.type = "button";
      button.addEventListener("click", function () { say(choice.value, choice.label); });
      return button;
    });
    if (frame.request_location) {
      var locate = element("button", "choice", labels.share_position);
      locate.type = "button";
      locate.addEventListener("click", sharePosition);
      buttons.push(locate);
    }
    if (buttons.length) {
      var group = element("div", "choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", labels.choices);
      buttons.forEach(function (button) { group.appendChild(button); });
      item.appendChild(group);
    }
  }

  function showError(frame) {
    addMessage("bot notice", frame.text || labels.error);
  }

  function showHeld(frame) {
    if (heldShown[frame.id]) { return; }
    heldShown[frame.id] = true;
    showReply(frame);
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function receive(frame) {
    if (frame.type === "ready") {
      socketReady = true;
      socketFailures = 0;
      setStatus("");
    } else if (frame.type === "reply") {
      setStatus("");
      showReply(frame);
    } else if (frame.type === "message") {
      showHeld(frame);
      acknowledge(frame.id);
    } else if (frame.type === "error") {
      setStatus("");
      showError(frame);
    }
  }

  // -- the transport: WebSocket, else plain HTTP -------------------------------------------
  function post(path, body, headers) {
    return fetch(path, {
      method: "POST", body: body, credentials: "omit", cache: "no-store",
      headers: headers || { "Content-Type": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (data.error) { throw data.error; }
        return data;
      });
    });
  }

  function connect() {
    if (params.get("transport") === "http" || !("WebSocket" in window)) { return startPolling(); }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + location.pathname.replace(/[^/]*$/, "") + "socket");
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "hello", visitor: visitor, lang: lang }));
    });
    socket.addEventListener("message", function (event) { receive(JSON.parse(event.data)); });
    socket.addEventListener("close", function () {
      socket = null;
      socketReady = false;
      if (resetting) {
        resetting = false;
        return connect();
      }
      socketFailures += 1;
      if (socketFailures >= SOCKET_FAILURES_BEFORE_HTTP) { return startPolling(); }
      setStatus(labels.offline);
      setTimeout(connect, RETRY_MS);
    });
  }

  function startPolling() {
    if (polling) { return; }
    polling = true;
    setStatus("");
    poll();
  }

  function poll() {
    post("api/inbox", JSON.stringify({ visitor: visitor, lang: lang, after: inboxAfter, wait: true }))
      .then(function (data) {
        data.messages.forEach(function (frame) {
          showHeld(frame);
          inboxAfter = Math.max(inboxAfter, frame.id);
        });
        poll();
      }, function () {
        setStatus(labels.offline);
        setTimeout(poll, RETRY_MS);
      });
  }

  function acknowledge(id) {
    if (socket && socketReady) { socket.send(JSON.stringify({ type: "ack", id: id })); }
  }

  function deliver(frame) {
    setStatus(labels.sending);
    if (socket && socketReady) {
      socket.send(JSON.stringify(frame));
      return;
    }
    frame.visitor = visitor;
    frame.lang = lang;
    post("api/messages", JSON.stringify(frame)).then(function (data) {
      data.replies.forEach(receive);
    }, function (problem) {
      setStatus("");
      showError(problem && problem.text ? problem : {});
    });
  }

  // -- what the resident does --------------------------------------------------------------
  function say(text, shown) {
    addMessage("you", shown || text);
    deliver({ type: "text", text: text });
    input.focus();
  }

  function sharePosition() {
    if (!navigator.geolocation) { return showError({ text: labels.no_geolocation }); }
    setStatus(labels.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      addMessage("you", labels.position_sent);
      deliver({ type: "location", latitude: position.coords.latitude, longitude: position.coords.longitude });
    }, function () {
      setStatus("");
      showError({ text: labels.geolocation_denied });
    }, { timeout: 20000, maximumAge: 60000 });
  }

  function sendPhoto() {
    var file = photoInput.files && photoInput.files[0];
    if (!file) { return; }
    addMessage("you", labels.photo_sent.replace("{name}", file.name));
    setStatus(labels.sending);
    post("api/photo?lang=" + encodeURIComponent(lang), file,
         { "Content-Type": file.type || "application/octet-stream", "X-Webchat-Visitor": visitor })
      .then(function (data) { data.replies.forEach(receive); },
            function (problem) { setStatus(""); showError(problem && problem.text ? problem : {}); });
    photoInput.value = "";
  }

  function askToForget() {
    document.getElementById("confirm-text").textContent = labels.forget_confirm;
    document.getElementById("confirm-yes").textContent = labels.forget_yes;
    document.getElementById("confirm-no").textContent = labels.forget_no;
    confirmBox.hidden = false;
    document.getElementById("confirm-no").focus();
  }

  function forgetBrowser() {
    confirmBox.hidden = true;
    post("api/forget", JSON.stringify({ visitor: visitor, lang: lang })).then(function () {
      replaceVisitor();
      inboxAfter = 0;
      if (socket) {
        resetting = true;
        socket.close();
      }
      retireChoices();
      addMessage("bot notice", labels.forgotten);
      document.getElementById("forget").focus();
    }, function (problem) { showError(problem && problem.text ? problem : {}); });
  }

  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) {
      setStatus(labels.empty);
      return;
    }
    input.value = "";
    say(text);
  });
  document.getElementById("locate").addEventListener("click", sharePosition);
  photoInput.addEventListener("change", sendPhoto);
  document.getElementById("forget").addEventListener("click", askToForget);
  document.getElementById("confirm-yes").addEventListener("click", forgetBrowser);
  document.getElementById("confirm-no").addEventListener("click", function () {
    confirmBox.hidden = true;
    document.getElementById("forget").focus();
  });

  setStatus(labels.connecting);
  connect();
}());
