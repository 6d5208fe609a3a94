// slides-check.js - injected into a copy of a deck by tools/slides-check.
// Once reveal.js is ready it visits every slide at the deck's own size and
// writes what it finds into <body data-check="...">, one line a problem:
//   overflow SLIDE: the content is taller or wider than the slide
//   small SLIDE PX "text": text smaller than 20 px on the projected slide
//   tiny-diagram SLIDE PX FILE: diagram text smaller than 20 px
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
	function check() {
		var out = [], cfg = Reveal.getConfig();
		// The scale reveal.js gives the deck in a 1280x720 window (headless
		// Chromium's own viewport is shorter than its window).
		var scale = Math.min(1280 / (cfg.width * (1 + cfg.margin)), 720 / (cfg.height * (1 + cfg.margin)), cfg.maxScale || 2);
		var hs = document.querySelectorAll(".reveal .slides > section");
		hs.forEach(function (hsec, h) {
			var vs = hsec.querySelectorAll(":scope > section");
			var list = vs.length ? Array.prototype.slice.call(vs) : [hsec];
			list.forEach(function (s, v) {
				Reveal.slide(h, vs.length ? v : 0);
				var name = label(s, h, vs.length ? v : 0);
				if (s.scrollHeight > cfg.height + 2 || s.scrollWidth > cfg.width + 2)
					out.push("overflow " + name + ": " + s.scrollWidth + "x" + s.scrollHeight + " on a " + cfg.width + "x" + cfg.height + " slide");
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
