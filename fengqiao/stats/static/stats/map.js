/* The territory map: a circle per territory of the next level, coloured by its open (or
   overdue) cases. No tiles unless the deployment configures a tile source (intranets have
   none): the circles sit on a blank background. */
(function () {
  "use strict";
  function colour(value, max) {
    if (!max) { return "#2e7d32"; }
    var share = value / max;
    if (share > 0.66) { return "#c62828"; }
    if (share > 0.33) { return "#f9a825"; }
    return "#2e7d32";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var data = JSON.parse(document.getElementById("map-data").textContent);
    var element = document.getElementById("map");
    var placed = data.places.filter(function (p) { return p.lat !== null && p.lng !== null; });
    var map = L.map(element, { attributionControl: false });
    if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 18 }).addTo(map); }
    var max = Math.max.apply(null, data.places.map(function (p) { return p[data.measure]; }).concat([0]));
    var markers = placed.map(function (p) {
      var value = p[data.measure];
      return L.circleMarker([p.lat, p.lng], {
        radius: 8 + 22 * (max ? value / max : 0),
        color: colour(value, max), fillColor: colour(value, max), fillOpacity: 0.6
      }).bindTooltip(p.name + ": " + value, { permanent: true, direction: "top" });
    });
    var group = L.featureGroup(markers).addTo(map);
    if (markers.length) { map.fitBounds(group.getBounds().pad(0.3)); } else { map.setView([26.66, 105.77], 9); }
    window.fengqiaoMap = { map: map, markers: markers.length };
  });
})();
