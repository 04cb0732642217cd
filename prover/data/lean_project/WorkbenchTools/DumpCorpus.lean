/-
Lists the declarations of an imported environment, for Lean Workbench's premise corpus.

    lake exe dump_corpus OUTPUT [MODULE ...]        -- MODULE defaults to Mathlib

writes OUTPUT, one JSON object per line:

    {"record":"module","module":M,"imports":[M', ...]}          -- every imported module
    {"record":"decl","name":N,"kind":K,"type":T,"module":M,
     "doc":D or null,"start":[line,column] or null,"end":[line,column] or null}

`kind` is theorem, def, instance, axiom, opaque, inductive, structure, class or
constructor; `type` is the pretty-printed type; positions are the declaration's source
range (1-based line, 0-based column). Generated constants (recursors, matchers,
`noConfusion`, `_private`, `proof_1`, `eq_1`, …) are left out. Progress and the final count
go to stderr. `retrieval/dump.py` (`leanwb index dump-corpus`) runs this and reads OUTPUT.
-/
import Lean

open Lean Meta

namespace WorkbenchTools.DumpCorpus

/-- `s` is `pre` followed by one or more digits (`match_1`, `proof_2`, `eq_3`). -/
def hasNumberSuffix (s pre : String) : Bool :=
  let rest := s.drop pre.length
  s.startsWith pre && !rest.isEmpty && rest.all Char.isDigit

/-- Names the compiler or elaborator made up: nobody cites them as premises. -/
def isMadeUpName : Name → Bool
  | .str parent s =>
    s.startsWith "_" || hasNumberSuffix s "match_" || hasNumberSuffix s "proof_"
      || hasNumberSuffix s "eq_" || ["eq_def", "inj", "injEq", "sizeOf_spec"].contains s
      || isMadeUpName parent
  | .num _ _ => true
  | .anonymous => false

/-- The kind recorded for a declaration, or `none` to leave it out. -/
def corpusKind (env : Environment) (name : Name) : ConstantInfo → Option String
  | .thmInfo _ => some "theorem"
  | .axiomInfo _ => some "axiom"
  | .opaqueInfo _ => some "opaque"
  | .defnInfo _ => some (if isInstanceCore env name then "instance" else "def")
  | .inductInfo _ =>
    some (if isClass env name then "class"
      else if isStructure env name then "structure"
      else "inductive")
  | .ctorInfo _ => some "constructor"
  | .recInfo _ => none
  | .quotInfo _ => none

def leftOut (env : Environment) (name : Name) (info : ConstantInfo) : Bool :=
  info.isUnsafe || isMadeUpName name || isAuxRecursor env name || isNoConfusion env name
    || isMatcherCore env name

def positionToJson (p : Position) : Json :=
  Json.arr #[toJson p.line, toJson p.column]

def moduleLine (name : Name) (data : ModuleData) : Json :=
  Json.mkObj [
    ("record", Json.str "module"),
    ("module", Json.str name.toString),
    ("imports", Json.arr (data.imports.map fun i => Json.str i.module.toString))]

/-- The pretty-printed type on one line; the raw term if the delaborator fails. -/
def prettyTypeLine (type : Expr) : MetaM String := do
  try
    return (← ppExpr type).pretty 100000
  catch _ =>
    return toString type

def declarationLine (name : Name) (info : ConstantInfo) (kind : String) (module : Name) :
    MetaM Json := do
  let type ← prettyTypeLine info.type
  let doc ← findDocString? (← getEnv) name
  let ranges ← findDeclarationRanges? name
  let startJson := match ranges with
    | some r => positionToJson r.range.pos
    | none => Json.null
  let endJson := match ranges with
    | some r => positionToJson r.range.endPos
    | none => Json.null
  return Json.mkObj [
    ("record", Json.str "decl"),
    ("name", Json.str name.toString),
    ("kind", Json.str kind),
    ("type", Json.str type),
    ("module", Json.str module.toString),
    ("doc", toJson doc),
    ("start", startJson),
    ("end", endJson)]

/-- Writes the module records, then one record per kept declaration; returns their count. -/
def dumpDeclarations (out : IO.FS.Handle) : CoreM Nat := do
  let env ← getEnv
  let header := env.header
  for name in header.moduleNames, data in header.moduleData do
    out.putStrLn (moduleLine name data).compress
  let mut count := 0
  for (name, info) in env.constants.map₁.toList do
    if leftOut env name info then
      continue
    let some kind := corpusKind env name info
      | continue
    let some idx := env.getModuleIdxFor? name
      | continue
    let module := header.moduleNames[idx.toNat]!
    let record ← MetaM.run' (declarationLine name info kind module)
    out.putStrLn record.compress
    count := count + 1
    if count % 20000 == 0 then
      IO.eprintln s!"dump_corpus: {count} declarations"
  return count

end WorkbenchTools.DumpCorpus

open WorkbenchTools.DumpCorpus in
/-- Importing runs the modules' initializers (`loadExts`), which the pretty-printer, the
docstrings and the instance table need; that is why `main` is `unsafe`. -/
unsafe def main (args : List String) : IO UInt32 := do
  match args with
  | [] =>
    IO.eprintln "usage: dump_corpus OUTPUT [MODULE ...]   (MODULE defaults to Mathlib)"
    return 2
  | output :: modules =>
    let roots : List Name := if modules.isEmpty then [`Mathlib] else modules.map String.toName
    initSearchPath (← findSysroot)
    enableInitializersExecution
    let imports := roots.toArray.map fun root => ({ module := root } : Import)
    let env ← importModules imports {} (trustLevel := 1024) (loadExts := true)
    let ctx : Core.Context :=
      { fileName := "<dump_corpus>", fileMap := default, maxHeartbeats := 0 }
    let count ← IO.FS.withFile output .write fun out => do
      let (count, _) ← (dumpDeclarations out).toIO ctx { env }
      pure count
    IO.eprintln s!"dump_corpus: wrote {count} declarations to {output}"
    return 0
