"""The static assets of a simulated hourly site: the HTML shell of ``/app`` and its script.

The shell carries no job data. The script (plain ES5-style JavaScript, no dependencies, no
network but its own origin) runs the ``#/jobSearch`` route: anonymous token from
``POST /api/anonymous-session``, then ``searchJobCardsByLocation`` on ``POST /graphql``, one page
per click on ``#load-more``. Progress is published on ``document.body.dataset.searchState``:
``idle`` (other routes), ``loading``, ``ready`` (a page rendered, ``#load-more`` clickable),
``done`` (last page rendered) or ``error`` (``#search-error`` shown).
"""

from __future__ import annotations

import json

from jobsim.hourly import Site

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

_SCRIPT = r"""/* Simulated hiring site: job search (vanilla JavaScript, same-origin only). */
(function () {
  "use strict";
  var CONFIG = @@CONFIG@@;
  var QUERY = @@QUERY@@;
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

  function post(path, headers, body) {
    return fetch(path, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try {
          data = JSON.parse(text);
        } catch (e) {
          data = null;
        }
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        if (data === null || typeof data !== "object") {
          throw new Error("invalid response");
        }
        if (data.errors && data.errors.length) {
          throw new Error(data.errors[0].message || "request failed");
        }
        return data;
      });
    });
  }

  function searchJobRequest(nextToken) {
    var request = {
      locale: CONFIG.locale,
      country: CONFIG.country,
      keyWords: "",
      geoQueryClause: CONFIG.geoQueryClause,
      equalFilters: [],
      consolidateSchedule: true,
      containFilters: [{ key: "isPrivateSchedule", val: ["true", "false"] }],
      dateFilters: [],
      orFilters: [],
      pageSize: CONFIG.pageSize,
      rangeFilters: [],
      sorters: [{ fieldName: "totalPayRateMax", ascending: false }]
    };
    if (nextToken) {
      request.nextToken = nextToken;
    }
    return request;
  }

  function fetchPage(token, nextToken) {
    var headers = {
      "authorization": "Bearer Status|unauthenticated|Session|" + token,
      "country": CONFIG.country,
      "content-type": "application/json",
      "iscanary": "false"
    };
    var body = {
      operationName: "searchJobCardsByLocation",
      variables: { searchJobRequest: searchJobRequest(nextToken) },
      query: QUERY
    };
    return post("/graphql", headers, body).then(function (data) {
      var result = data.data && data.data.searchJobCardsByLocation;
      if (!result || !Array.isArray(result.jobCards)) {
        throw new Error("unexpected response");
      }
      return result;
    });
  }

  function payText(card) {
    var low = card.totalPayRateMinL10N;
    var high = card.totalPayRateMaxL10N;
    if (!low) {
      return high || "";
    }
    return (high && high !== low ? low + " - " + high : low) + "/hr";
  }

  function renderCard(card) {
    var item = el("li", { "class": "job-card", "data-job-id": card.jobId });
    item.appendChild(el("h2", { "class": "job-title" }, card.jobTitle));
    item.appendChild(el("p", { "class": "job-location" }, card.locationName));
    item.appendChild(el("p", { "class": "job-type" }, card.jobTypeL10N + " \u00b7 " +
      card.employmentTypeL10N));
    item.appendChild(el("p", { "class": "job-pay" }, payText(card)));
    return item;
  }

  function jobSearch(root) {
    var gen = ++generation;
    var token = null;
    var nextToken = null;
    var list = el("ul", { id: "job-cards" });
    var button = null;
    setState("loading");
    root.appendChild(el("h1", {}, "Find a job near you"));
    root.appendChild(list);

    function current() {
      return gen === generation;
    }

    function fail() {
      if (!current()) {
        return;
      }
      if (button) {
        button.remove();
        button = null;
      }
      root.appendChild(el("p", { id: "search-error" },
        "Something went wrong loading jobs. Please try again later."));
      setState("error");
    }

    function show(result) {
      if (!current()) {
        return;
      }
      result.jobCards.forEach(function (card) {
        list.appendChild(renderCard(card));
      });
      nextToken = result.nextToken || null;
      if (nextToken) {
        if (!button) {
          button = el("button", { id: "load-more", type: "button" }, "More results");
          button.addEventListener("click", more);
          root.appendChild(button);
        }
        button.disabled = false;
        setState("ready");
      } else {
        if (button) {
          button.remove();
          button = null;
        }
        setState("done");
      }
    }

    function more() {
      if (!current() || !button || button.disabled || !nextToken) {
        return;
      }
      button.disabled = true;
      setState("loading");
      fetchPage(token, nextToken).then(show, fail);
    }

    post("/api/anonymous-session", { "content-type": "application/json" }, {})
      .then(function (session) {
        if (!session.token) {
          throw new Error("no token");
        }
        token = session.token;
        return fetchPage(token, null);
      })
      .then(show, fail);
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

  window.addEventListener("hashchange", route);
  route();
})();
"""


def shell_html(site: Site) -> str:
    """The ``/app`` document: an empty root and the script tag."""
    return _SHELL.format(lang=site.locale, title=f"Amazon Jobs - {site.country}")


def app_js(site: Site, page_size: int) -> str:
    """The ``/app.js`` script configured for a site and a page size."""
    lat, lng = site.center
    config = {
        "country": site.country,
        "locale": site.locale,
        "pageSize": page_size,
        "geoQueryClause": {"lat": lat, "lng": lng, "unit": site.unit, "distance": 5000},
    }
    return _SCRIPT.replace("@@CONFIG@@", json.dumps(config)).replace(
        "@@QUERY@@", json.dumps(SEARCH_QUERY)
    )
