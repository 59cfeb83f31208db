"""The static assets of a simulated hourly site: the HTML shell of ``/app`` and its script.

The shell carries no job data. The script (plain ES5-style JavaScript, no dependencies) runs the
``#/jobSearch`` route as the real page does (docs/simulator_hourly.md): a consent dialog over the
page, the anonymous token from the auth origin (``GET /api/csrf``, kept in
``localStorage.sessionToken``), on the US site a guided-location modal until a place is given,
then ``searchJobCardsByLocation`` with the full variables (30 miles around a place on US and CA,
country-wide on UK and IE) and infinite scroll: the next page is fetched when a sentinel under the
list enters the viewport. There is no "more results" button. Progress is published on
``document.body.dataset.searchState``: ``idle`` (other routes, or the guided modal), ``loading``,
``ready`` (a page rendered, more to come), ``done`` (last page rendered) or ``error``
(``#search-error`` shown).
"""

from __future__ import annotations

import json
from typing import Any

from jobsim.hourly import Site

#: Radius of the page's geo-scoped queries ("Within 30 miles").
DEFAULT_DISTANCE_MI = 30
#: The page's ``isPrivateSchedule`` filter per site, as captured.
PRIVATE_FILTER = {
    "US": ["false"],
    "CA": ["false"],
    "UK": ["true", "false"],
    "IE": ["true", "false"],
}
#: How the page's first query is scoped: guided modal, default place, or country-wide.
FIRST_QUERY = {"US": "guided", "CA": "place", "UK": "country", "IE": "country"}

#: The operation, verbatim from public code (``C0oki3s/amazon-uk`` app.js; docs/sites.md).
SEARCH_QUERY = """
  query searchJobCardsByLocation($searchJobRequest: SearchJobRequest!) {
    searchJobCardsByLocation(searchJobRequest: $searchJobRequest) {
      nextToken
      jobCards {
        jobId
        language
        dataSource
        requisitionType
        jobTitle
        jobType
        employmentType
        city
        state
        postalCode
        locationName
        totalPayRateMin
        totalPayRateMax
        tagLine
        bannerText
        image
        jobPreviewVideo
        distance
        featuredJob
        bonusJob
        bonusPay
        scheduleCount
        currencyCode
        geoClusterDescription
        surgePay
        jobTypeL10N
        employmentTypeL10N
        bonusPayL10N
        surgePayL10N
        totalPayRateMinL10N
        totalPayRateMaxL10N
        distanceL10N
        monthlyBasePayMin
        monthlyBasePayMinL10N
        monthlyBasePayMax
        monthlyBasePayMaxL10N
        jobContainerJobMetaL1
        virtualLocation
        poolingEnabled
      }
    }
  }
"""

_SHELL = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>body {{ margin: 0; min-height: 100vh; font-family: sans-serif; }}</style>
</head>
<body>
<noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"></div>
<script src="/app.js"></script>
</body>
</html>
"""

_SCRIPT = r"""/* Simulated hiring site: job search (vanilla JavaScript). */
(function () {
  "use strict";
  var CONFIG = @@CONFIG@@;
  var QUERY = @@QUERY@@;
  var CONSENT_KEY = "hvhCookieConsent";
  var generation = 0;

  function setState(state) {
    document.body.dataset.searchState = state;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function store(key, value) {
    try {
      if (value === null) {
        window.localStorage.removeItem(key);
      } else {
        window.localStorage.setItem(key, value);
      }
    } catch (e) { /* storage disabled */ }
  }

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  /* -- consent dialog: covers the page until accepted ------------------------------------ */

  function consentDialog() {
    if (load(CONSENT_KEY) === "accepted" ||
        document.querySelector('[data-test-id="consentDialog"]')) {
      return;
    }
    var overlay = el("div", {
      "data-test-id": "consentDialog",
      "class": "hvh-careers-emotion-consent",
      "role": "dialog",
      "aria-modal": "true",
      "style": "position:fixed;top:0;left:0;right:0;bottom:0;z-index:1000;" +
        "background:rgba(0,0,0,0.6);overflow:auto;overscroll-behavior:contain;"
    });
    var box = el("div", {
      "style": "background:#fff;max-width:32rem;margin:20vh auto;padding:1.5rem;"
    });
    box.appendChild(el("h2", {}, "We use cookies"));
    box.appendChild(el("p", {}, "We use cookies and similar tools to provide our services, " +
      "understand how you use them and improve them. Select \u201cAccept all\u201d to agree."));
    var accept = el("button", { "type": "button", "data-test-id": "consentBtn" }, "Accept all");
    accept.addEventListener("click", function () {
      store(CONSENT_KEY, "accepted");
      overlay.remove();
      document.documentElement.style.overflow = "";
    });
    box.appendChild(accept);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    document.documentElement.style.overflow = "hidden";  /* the page behind does not scroll */
  }

  /* -- network ------------------------------------------------------------------------- */

  function readJson(resp) {
    return resp.text().then(function (text) {
      var data = null;
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
      return { status: resp.status, ok: resp.ok, data: data };
    });
  }

  function newToken() {
    var url = CONFIG.authUrl + "/api/csrf?countryCode=" + encodeURIComponent(CONFIG.siteKey);
    return fetch(url, { credentials: "include", cache: "no-store" })
      .then(readJson)
      .then(function (r) {
        if (!r.ok || !r.data || !r.data.token) {
          throw new Error("no token (HTTP " + r.status + ")");
        }
        store("sessionToken", r.data.token);
        return r.data.token;
      });
  }

  function graphql(body, retried) {
    var token = load("sessionToken") || "";
    return fetch(CONFIG.graphqlUrl, {
      method: "POST",
      headers: {
        "authorization": "Bearer Status|unauthenticated|Session|" + token,
        "country": CONFIG.country,
        "iscanary": "false",
        "content-type": "application/json"
      },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    }).then(readJson).then(function (r) {
      if (r.status === 401 && !retried) {  /* an expired token: renew once */
        return newToken().then(function () {
          return graphql(body, true);
        });
      }
      if (!r.ok || r.data === null || typeof r.data !== "object") {
        throw new Error("HTTP " + r.status);
      }
      if (r.data.errors && r.data.errors.length) {
        throw new Error(r.data.errors[0].message || "request failed");
      }
      return r.data;
    });
  }

  function searchJobRequest(geo, nextToken) {
    var request = {
      locale: CONFIG.locale,
      country: CONFIG.country,
      keyWords: "",
      equalFilters: [],
      containFilters: [{ key: "isPrivateSchedule", val: CONFIG.privateFilter }],
      rangeFilters: [{ key: "hoursPerWeek", range: { minimum: 0, maximum: 80 } }],
      orFilters: [],
      dateFilters: [{ key: "firstDayOnSite", range: { startDate: CONFIG.today } }],
      sorters: [{ fieldName: "totalPayRateMax", ascending: "false" }],
      pageSize: CONFIG.pageSize,
      consolidateSchedule: true
    };
    if (geo) {
      request.geoQueryClause = {
        lat: geo.lat, lng: geo.lng, unit: "mi", distance: CONFIG.distance
      };
    }
    if (nextToken) {
      request.nextToken = nextToken;
    }
    return request;
  }

  function fetchPage(geo, nextToken) {
    return graphql({
      operationName: "searchJobCardsByLocation",
      variables: { searchJobRequest: searchJobRequest(geo, nextToken) },
      query: QUERY
    }).then(function (data) {
      var result = data.data && data.data.searchJobCardsByLocation;
      if (!result || !Array.isArray(result.jobCards)) {
        throw new Error("unexpected response");
      }
      return result;
    });
  }

  /* -- rendering ------------------------------------------------------------------------ */

  function payText(card) {
    var low = card.totalPayRateMinL10N;
    var high = card.totalPayRateMaxL10N;
    if (!low) {
      return high || "";
    }
    return (high && high !== low ? low + " - " + high : low) + "/hr";
  }

  function renderCard(card) {
    var item = el("li", {
      "class": "job-card hvh-careers-emotion-card",
      "data-job-id": card.jobId,
      "data-test-id": "JobCard"
    });
    item.appendChild(el("h2", { "class": "job-title" }, card.jobTitle));
    item.appendChild(el("p", { "class": "job-location" }, card.locationName));
    item.appendChild(el("p", { "class": "job-type" }, card.jobTypeL10N + " \u00b7 " +
      card.employmentTypeL10N));
    item.appendChild(el("p", { "class": "job-pay" }, payText(card)));
    return item;
  }

  function findPlace(text) {
    var q = (text || "").trim().toLowerCase().replace(/\s+/g, " ");
    if (!q) {
      return null;
    }
    for (var i = 0; i < CONFIG.places.length; i++) {
      var p = CONFIG.places[i];
      var names = [p.city.toLowerCase(), p.postal.toLowerCase(),
        (p.city + ", " + p.state).toLowerCase(), (p.city + " " + p.state).toLowerCase()];
      if (names.indexOf(q) >= 0 || p.postal.toLowerCase().replace(" ", "") === q.replace(" ", "")) {
        return { label: p.city + ", " + p.state, lat: p.lat, lng: p.lng };
      }
    }
    return null;
  }

  function guidedModal(root, gen, onPlace) {
    setState("idle");
    var modal = el("div", {
      "data-test-id": "guidedSearchModal",
      "class": "hvh-careers-emotion-guided",
      "role": "dialog"
    });
    var close = el("button", { "type": "button", "data-test-id": "guidedSearchClose",
      "aria-label": "Close" }, "\u00d7");
    var form = el("form", {});
    var input = el("input", { "type": "text", "data-test-id": "guidedSearchInput",
      "placeholder": "Enter zipcode or city", "aria-label": "Enter zipcode or city" });
    var submit = el("button", { "type": "submit", "data-test-id": "guidedSearchSubmit" },
      "Search");
    var error = el("p", { "data-test-id": "guidedSearchError", "hidden": "hidden" },
      "We couldn't find that location. Enter a zipcode or city.");
    modal.appendChild(close);
    modal.appendChild(el("h2", {}, "Find jobs near you"));
    modal.appendChild(el("p", {}, "Enter zipcode or city"));
    form.appendChild(input);
    form.appendChild(submit);
    modal.appendChild(form);
    modal.appendChild(error);
    root.appendChild(modal);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (gen !== generation) {
        return;
      }
      var place = findPlace(input.value);
      if (!place) {
        error.hidden = false;
        return;
      }
      store("geoInfo", JSON.stringify(place));
      modal.remove();
      onPlace(place);
    });
    close.addEventListener("click", function () {
      if (gen !== generation) {
        return;
      }
      modal.remove();
      onPlace(CONFIG.defaultPlace);
    });
  }

  /* -- the search page ------------------------------------------------------------------- */

  function searchPage(root, gen, geo) {
    var nextToken = null;
    var busy = false;
    var list = el("ul", { id: "job-cards" });
    var sentinel = el("div", { id: "scroll-sentinel", "style": "height:1px" });
    root.appendChild(el("h1", {}, "Search jobs near you"));
    root.appendChild(el("p", { id: "search-scope" }, geo
      ? "Within " + CONFIG.distance + " miles of " + geo.label
      : "All locations in " + CONFIG.country));
    root.appendChild(list);
    root.appendChild(sentinel);

    function current() {
      return gen === generation;
    }

    function sentinelVisible() {
      var box = sentinel.getBoundingClientRect();
      return box.top < window.innerHeight && box.bottom >= 0;
    }

    function fail() {
      if (!current()) {
        return;
      }
      busy = false;
      root.appendChild(el("p", { id: "search-error" },
        "Something went wrong loading jobs. Please try again later."));
      setState("error");
    }

    function show(result) {
      if (!current()) {
        return;
      }
      busy = false;
      result.jobCards.forEach(function (card) {
        list.appendChild(renderCard(card));
      });
      nextToken = result.nextToken || null;
      setState(nextToken ? "ready" : "done");
      if (nextToken) {
        window.requestAnimationFrame(maybeMore);
      }
    }

    function page(token) {
      busy = true;
      setState("loading");
      fetchPage(geo, token).then(show, fail);
    }

    function maybeMore() {
      if (!current() || busy || !nextToken || !sentinelVisible()) {
        return;
      }
      page(nextToken);
    }

    if (window.IntersectionObserver) {
      new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          maybeMore();
        }
      }).observe(sentinel);
    }
    window.addEventListener("scroll", maybeMore, { passive: true });
    page(null);
  }

  function jobSearch(root) {
    var gen = ++generation;
    setState("loading");
    newToken().then(function () {
      if (gen !== generation) {
        return;
      }
      if (CONFIG.firstQuery === "country") {
        searchPage(root, gen, null);
        return;
      }
      var stored = null;
      try {
        stored = JSON.parse(load("geoInfo") || "null");
      } catch (e) {
        stored = null;
      }
      if (stored && typeof stored.lat === "number" && typeof stored.lng === "number") {
        searchPage(root, gen, stored);
      } else if (CONFIG.firstQuery === "guided") {
        guidedModal(root, gen, function (place) {
          searchPage(root, gen, place);
        });
      } else {
        searchPage(root, gen, CONFIG.defaultPlace);
      }
    }).catch(function () {
      if (gen !== generation) {
        return;
      }
      root.appendChild(el("p", { id: "search-error" },
        "Something went wrong loading jobs. Please try again later."));
      setState("error");
    });
  }

  function route() {
    var root = document.getElementById("root");
    generation++;
    root.textContent = "";
    if (location.hash.indexOf("#/jobSearch") === 0) {
      jobSearch(root);
    } else {
      setState("idle");
    }
  }

  consentDialog();
  window.addEventListener("hashchange", route);
  route();
})();
"""


def shell_html(site: Site) -> str:
    """The ``/app`` document: an empty root and the script tag."""
    return _SHELL.format(lang=site.locale, title=f"Amazon Jobs - {site.country}")


def app_js(site: Site, endpoints: dict[str, Any]) -> str:
    """The ``/app.js`` script of a site; ``endpoints`` (``HourlySites.app_config``) gives
    ``authUrl``, ``graphqlUrl``, ``today`` (the served date) and ``pageSize``."""
    default = site.places[site.default_place]
    config = {
        "siteKey": site.key,
        "country": site.country,
        "locale": site.locale,
        "privateFilter": PRIVATE_FILTER[site.key],
        "firstQuery": FIRST_QUERY[site.key],
        "distance": DEFAULT_DISTANCE_MI,
        "defaultPlace": {
            "label": f"{default.city}, {default.state}",
            "lat": default.lat,
            "lng": default.lng,
        },
        "places": [
            {"city": p.city, "state": p.state, "postal": p.postal, "lat": p.lat, "lng": p.lng}
            for p in site.places
        ],
        **endpoints,
    }
    return _SCRIPT.replace("@@CONFIG@@", json.dumps(config, ensure_ascii=False)).replace(
        "@@QUERY@@", json.dumps(SEARCH_QUERY)
    )
