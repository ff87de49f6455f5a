/* Geometry edits the drawing plugin does not do, on JSTS (the JTS port, the
   same engine family as GEOS under the server's shapely). GeoJSON in and out,
   lon/lat WGS84. The server validates whatever these produce. */
var TMShapes = (function () {
  "use strict";
  var reader = new jsts.io.GeoJSONReader(), writer = new jsts.io.GeoJSONWriter();

  function read(geometry) { return reader.read(geometry); }
  function write(g) { return writer.write(g); }

  function polygons(g) {
    var out = [];
    for (var i = 0; i < g.getNumGeometries(); i++) {
      var part = g.getGeometryN(i);
      if (part.getGeometryType() === "Polygon" && !part.isEmpty()) { out.push(part); }
    }
    return out;
  }

  function asMulti(parts) {
    var coords = parts.map(function (p) {
      var gj = write(p);
      return gj.type === "Polygon" ? [gj.coordinates] : gj.coordinates;
    }).reduce(function (a, b) { return a.concat(b); }, []);
    return {type: "MultiPolygon", coordinates: coords};
  }

  // Split `geometry` with `line`: node the boundary with the line (a union
  // of linework nodes every crossing once, on both), polygonize, and keep the
  // faces inside the shape. Answers {kept, cut} (largest face stays) or null
  // when the line does not cut the shape in two.
  function split(geometry, line) {
    var shape = read(geometry), cutter = read(line);
    var noded = shape.getBoundary().union(cutter);
    var pz = new jsts.operation.polygonize.Polygonizer();
    pz.add(noded);
    var faces = [], found = pz.getPolygons();
    var list = found.toArray ? found.toArray() : found;
    list.forEach(function (f) { if (shape.contains(f.getInteriorPoint())) { faces.push(f); } });
    if (faces.length < 2) { return null; }
    faces.sort(function (a, b) { return b.getArea() - a.getArea(); });
    return {kept: asMulti(faces.slice(0, 1)), cut: asMulti(faces.slice(1)), pieces: faces.length};
  }

  // Union of two shapes: {geometry, parts}; parts > 1 when they do not touch.
  function merge(a, b) {
    var u = read(a).union(read(b));
    var parts = polygons(u);
    return {geometry: asMulti(parts), parts: parts.length};
  }

  // The area two shapes share, as GeoJSON, or null.
  function overlap(a, b) {
    var ga = read(a), gb = read(b);
    if (!ga.intersects(gb)) { return null; }
    var parts = polygons(ga.intersection(gb));
    return parts.length ? asMulti(parts) : null;
  }

  // RFC 7946 ring order (exterior counter-clockwise, holes clockwise), so the
  // server has nothing to re-orient. Leaflet draws rectangles clockwise. The
  // shoelace sum is all it takes; no library call needed for that.
  function signedArea(ring) {
    var sum = 0;
    for (var i = 0; i + 1 < ring.length; i++) { sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]; }
    return sum / 2;
  }

  function rightHand(geometry) {
    var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    var fixed = polys.map(function (rings) {
      return rings.map(function (ring, i) {
        var ccw = signedArea(ring) > 0;
        return (i === 0) === ccw ? ring : ring.slice().reverse();
      });
    });
    return {type: geometry.type, coordinates: geometry.type === "Polygon" ? fixed[0] : fixed};
  }

  // Whether two GeoJSON geometries are the same shape, vertex for vertex up
  // to `tolerance` degrees (ring start and order aside): a vertex dragged
  // and snapped back to where it was is no change.
  function same(a, b, tolerance) {
    var ga = read(a), gb = read(b);
    ga.normalize(); gb.normalize();
    return ga.equalsExact(gb, tolerance === undefined ? 1e-9 : tolerance);
  }

  // Area in km2 on a sphere of the WGS84 authalic radius, for display only;
  // the server's figures (EPSG:6933) are the ones that decide anything.
  function areaKm2(geometry) {
    var R = 6371.0072, polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    function ring(c) {
      var sum = 0, rad = Math.PI / 180;
      for (var i = 0; i + 1 < c.length; i++) {
        sum += (c[i + 1][0] - c[i][0]) * rad * (2 + Math.sin(c[i][1] * rad) + Math.sin(c[i + 1][1] * rad));
      }
      return Math.abs(sum * R * R / 2);
    }
    return polys.reduce(function (t, rings) {
      return t + rings.reduce(function (a, c, i) { return a + (i === 0 ? ring(c) : -ring(c)); }, 0);
    }, 0);
  }

  return {split: split, merge: merge, overlap: overlap, rightHand: rightHand, same: same, areaKm2: areaKm2};
})();
