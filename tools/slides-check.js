// slides-check.js - injected into a copy of a deck by tools/slides-check.
// Once reveal.js is ready it visits every slide at the deck's own size and
// writes what it finds into <body data-check="...">, one line a problem:
//   overflow SLIDE: the content is taller or wider than the slide
//   small SLIDE PX "text": text smaller than 20 px on the projected slide
//   tiny-diagram SLIDE PX FILE: diagram text smaller than 20 px
//   clipped SLIDE WHAT: a code block or table whose content is cut off
//     (taller or wider than its box, which scrolls or hides the rest), or
//     that runs past the slide's edge
//   under-controls SLIDE WHAT PX: a code block, table, list or image that
//     reaches under the navigation arrows (or the slide number) by PX
//   backtick SLIDE "text": a literal ` in the text, markup that did not apply
// A slide's own overflow (above) misses all of these: a <pre> of width 100%
// scrolls inside itself, and the arrows sit in the slide's bottom corner.
(function () {
	var MIN = 20;
	function label(s, h, v) { return (s.id ? "#/" + s.id : "") + " (" + (h + 1) + (v ? "." + (v + 1) : "") + ")"; }
	function svgMin(img, scale) {
		var drawn = img.getBoundingClientRect().height / Reveal.getScale() * scale;
		// Graphviz writes font-size="14.00" on each <text>; the image is
		// drawn at img.height for an SVG of the height it declares.
		try {
			var x = new XMLHttpRequest();
			x.open("GET", img.src, false);
			x.send();
			var doc = new DOMParser().parseFromString(x.responseText, "image/svg+xml");
			var svg = doc.documentElement, h = parseFloat(svg.getAttribute("height"));
			var vb = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(parseFloat);
			var units = vb.length == 4 ? vb[3] : h;
			var min = 1e9;
			doc.querySelectorAll("text").forEach(function (t) {
				var fs = parseFloat(t.getAttribute("font-size") || "14");
				min = Math.min(min, fs * drawn / units);
			});
			return min;
		} catch (e) { return 1e9; }
	}
	function what(e) {
		var t = e.tagName.toLowerCase();
		if (t == "code" || t == "pre") t = "code block";
		var text = (e.textContent || "").trim().replace(/\s+/g, " ").slice(0, 30);
		return t + " \"" + text + "\"";
	}
	// Rectangles where they would be in a real 1280x720 window. Headless
	// Chromium lays the page out in a shorter viewport, so the slide (centred
	// and scaled by reveal.js) and the arrows (pinned to the bottom-right
	// corner, not scaled) are moved to where that window puts them.
	var W = 1280, H = 720, SCALE = 1;
	function rect(e) {
		var r = e.getBoundingClientRect(), k = Reveal.getScale() || 1;
		var sr = document.querySelector(".reveal .slides").getBoundingClientRect();
		var cfg = Reveal.getConfig();
		var x0 = (W - cfg.width * SCALE) / 2, y0 = (H - cfg.height * SCALE) / 2;
		var l = x0 + (r.left - sr.left) / k * SCALE, t = y0 + (r.top - sr.top) / k * SCALE;
		return { left: l, top: t, right: l + r.width / k * SCALE, bottom: t + r.height / k * SCALE,
			width: r.width / k * SCALE, height: r.height / k * SCALE };
	}
	function pinned(e) {
		var r = e.getBoundingClientRect(), rv = document.querySelector(".reveal").getBoundingClientRect();
		var right = W - (rv.right - r.right), bottom = H - (rv.bottom - r.bottom);
		return { left: right - r.width, top: bottom - r.height, right: right, bottom: bottom, width: r.width, height: r.height };
	}
	function overlap(a, b) {
		var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
		var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
		return w > 0 && h > 0 ? { w: w, h: h } : null;
	}
	// The navigation arrows and the slide number, where they are drawn.
	function furniture() {
		var list = [];
		document.querySelectorAll(".reveal .controls button, .reveal .slide-number").forEach(function (b) {
			var cs = getComputedStyle(b);
			if (cs.display == "none" || cs.visibility == "hidden" || b.getClientRects().length == 0) return;
			var r = pinned(b);
			if (r.width > 0 && r.height > 0) list.push(r);
		});
		return list;
	}
	function blocks(s, out, name) {
		var cfg = Reveal.getConfig(), seen = {};
		var x0 = (W - cfg.width * SCALE) / 2, y0 = (H - cfg.height * SCALE) / 2;
		var box = { left: x0, top: y0, right: x0 + cfg.width * SCALE, bottom: y0 + cfg.height * SCALE };
		var furn = furniture();
		s.querySelectorAll("pre, pre code, table, img, ul, ol, .listingblock, .imageblock").forEach(function (e) {
			if (e.closest("aside.notes") || e.getClientRects().length == 0) return;
			var r = rect(e), w = what(e);
			var t = e.tagName.toLowerCase();
			if (t == "pre" || t == "code" || t == "table") {
				// Content cut off inside its own box (max-height, overflow).
				var dx = e.scrollWidth - e.clientWidth, dy = e.scrollHeight - e.clientHeight;
				if ((dx > 1 || dy > 1) && !seen["c" + w]) {
					seen["c" + w] = 1;
					out.push("clipped " + name + " " + w + ": " + (dx > 1 ? dx + " px wider" : "") +
						(dx > 1 && dy > 1 ? ", " : "") + (dy > 1 ? dy + " px taller" : "") + " than its box");
				}
				// Or the box itself past the slide's edge.
				var past = Math.max(r.right - box.right, r.bottom - box.bottom, box.left - r.left, box.top - r.top);
				if (past > 1 && !seen["e" + w]) {
					seen["e" + w] = 1;
					out.push("clipped " + name + " " + w + ": " + Math.round(past) + " px past the slide's edge");
				}
			}
			if (t == "ul" || t == "ol" || t == "table" || t == "img" || t == "pre") {
				// The text itself, line by line (not a full-width box, a cell's
				// padding or the empty end of a line); an image by its box.
				var frags = [];
				// A code block by its box: its dark background is drawn under the arrows.
				if (t == "img" || t == "pre") frags.push(r);
				else if (t == "table") {
					// A table by its cells: their rules are drawn under the arrows too.
					e.querySelectorAll("td, th").forEach(function (c) { frags.push(rect(c)); });
				} else {
					var tw = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
					for (var tn = tw.nextNode(); tn; tn = tw.nextNode()) {
						if (!tn.textContent.trim()) continue;
						var rg = document.createRange();
						rg.selectNodeContents(tn);
						Array.prototype.forEach.call(rg.getClientRects(), function (q) {
							if (q.width > 0 && q.height > 0) frags.push(rect({ getBoundingClientRect: function () { return q; } }));
						});
					}
				}
				frags.forEach(function (pr) {
					furn.forEach(function (f) {
						var o = overlap(pr, f);
						if (o && o.h >= 1 && o.w >= 1 && !seen["u" + w]) {
							seen["u" + w] = 1;
							out.push("under-controls " + name + " " + w + " " + Math.round(o.h) + " px under the navigation arrows");
						}
					});
				});
			}
		});
		// Markup that did not apply: a ` outside code.
		var walk = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
		for (var n = walk.nextNode(); n; n = walk.nextNode()) {
			var pe = n.parentElement;
			if (!pe || pe.closest("aside.notes, pre, code, script, style")) continue;
			if (n.textContent.indexOf("`") >= 0) {
				out.push("backtick " + name + " \"" + n.textContent.trim().slice(0, 40) + "\"");
				break;
			}
		}
	}
	function check() {
		// No transitions: a slide measured mid-way is somewhere else.
		Reveal.configure({ transition: "none", backgroundTransition: "none" });
		var out = [], cfg = Reveal.getConfig();
		// The scale reveal.js gives the deck in a 1280x720 window (headless
		// Chromium's own viewport is shorter than its window).
		var scale = Math.min(W / (cfg.width * (1 + cfg.margin)), H / (cfg.height * (1 + cfg.margin)), cfg.maxScale || 2);
		SCALE = scale;
		var hs = document.querySelectorAll(".reveal .slides > section");
		hs.forEach(function (hsec, h) {
			var vs = hsec.querySelectorAll(":scope > section");
			var list = vs.length ? Array.prototype.slice.call(vs) : [hsec];
			list.forEach(function (s, v) {
				Reveal.slide(h, vs.length ? v : 0);
				var name = label(s, h, vs.length ? v : 0);
				if (s.scrollHeight > cfg.height + 2 || s.scrollWidth > cfg.width + 2)
					out.push("overflow " + name + ": " + s.scrollWidth + "x" + s.scrollHeight + " on a " + cfg.width + "x" + cfg.height + " slide");
				blocks(s, out, name);
				var seen = {};
				s.querySelectorAll("*").forEach(function (e) {
					if (e.closest("aside.notes") || !e.childNodes.length) return;
					var own = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType == 3 && n.textContent.trim(); });
					if (!own || e.getClientRects().length == 0) return;
					var px = parseFloat(getComputedStyle(e).fontSize) * scale;
					if (px < MIN - 0.05 && !seen[px.toFixed(1)]) {
						seen[px.toFixed(1)] = 1;
						out.push("small " + name + " " + px.toFixed(1) + "px \"" + e.textContent.trim().slice(0, 40) + "\"");
					}
				});
				s.querySelectorAll("img").forEach(function (img) {
					if (!/\.svg$/.test(img.src)) return;
					var px = svgMin(img, scale);
					if (px < MIN - 0.05)
						out.push("tiny-diagram " + name + " " + px.toFixed(1) + "px " + img.src.replace(/.*\//, ""));
				});
			});
		});
		document.body.setAttribute("data-check", out.join("\n") || "ok");
	}
	function wait() { if (window.Reveal && Reveal.isReady()) check(); else setTimeout(wait, 50); }
	wait();
})();
