//! The Cranelift backend: every IR function compiled to native code.
//!
//! A [`Jit`] owns one Cranelift JIT module with the code of one program,
//! the reusable compilation contexts, and the constants the code refers to.
//! Each IR function (a clause's predicate or action) becomes an
//! `extern "C" fn(*const Record, *mut Ctx) -> i64` (see [`codegen`]); a
//! function Cranelift could not compile runs in the interpreter instead,
//! and [`Jit::fallbacks`] says which and why. The interpreter remains the
//! reference: tests run both and require identical results.

mod codegen;
pub mod helpers;

use crate::exec::{Backend, Host};
use crate::interp::Interpreter;
use crate::ir::{FuncId, Program};
use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use helpers::{Ctx, Shared};
use landtrace_event::record::{Record, Sealed};
use landtrace_event::value::{Val, recycle};
use std::fmt::Write as _;

type NativeFn = for<'r> unsafe extern "C" fn(*const Record, *mut Ctx<'r>) -> i64;

/// What `--dump clif` and `--dump asm` print for one function.
#[derive(Clone, Debug)]
pub struct FuncDump {
    pub name: String,
    pub clif: String,
    pub asm: String,
}

/// Which listings to keep while compiling.
#[derive(Clone, Copy, Debug, Default)]
pub struct DumpOptions {
    pub clif: bool,
    pub asm: bool,
}

pub struct Jit {
    module: Option<JITModule>,
    funcs: Vec<Option<NativeFn>>,
    fallbacks: Vec<(String, String)>,
    /// At a stable address: compiled code reaches it through the context.
    shared: Box<Shared>,
    interp: Interpreter,
    /// The allocation of the helpers' scratch values; empty between runs.
    scratch: Vec<Val<'static>>,
    dumps: Vec<FuncDump>,
}

/// Why Cranelift cannot compile for this machine (then the interpreter
/// runs everything). A single function Cranelift refuses is not an error:
/// it is left to the interpreter ([`Jit::fallbacks`]).
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error("cranelift setting {name}: {source}")]
    Setting {
        name: &'static str,
        #[source]
        source: settings::SetError,
    },
    #[error("this machine is not supported by Cranelift: {0}")]
    Unsupported(&'static str),
    #[error("Cranelift: {0}")]
    Isa(#[source] cranelift_codegen::CodegenError),
    #[error("Cranelift: declaring {name}: {source}")]
    Declare {
        name: &'static str,
        #[source]
        source: Box<cranelift_module::ModuleError>,
    },
    #[error("Cranelift: {0}")]
    Finalize(#[source] Box<cranelift_module::ModuleError>),
}

impl Jit {
    /// Compiles every function of `prog`. Fails only when Cranelift does
    /// not support this machine (then the interpreter is the backend).
    pub fn compile(prog: &Program) -> Result<Jit, JitError> {
        Jit::compile_with(prog, DumpOptions::default())
    }

    pub fn compile_with(prog: &Program, dump: DumpOptions) -> Result<Jit, JitError> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, name: &'static str, v: &str| {
            f.set(name, v).map_err(|source| JitError::Setting { name, source })
        };
        set(&mut flags, "opt_level", "speed")?;
        set(&mut flags, "use_colocated_libcalls", "false")?;
        set(&mut flags, "is_pic", "false")?;
        set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
        let isa = cranelift_native::builder()
            .map_err(JitError::Unsupported)?
            .finish(settings::Flags::new(flags))
            .map_err(JitError::Isa)?;
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        for (name, ptr) in helpers::symbols() {
            builder.symbol(name, ptr);
        }
        let mut module = JITModule::new(builder);
        let ids = codegen::HelperIds::declare(&mut module)?;

        let mut shared = Box::new(Shared::new(prog));
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let mut declared = Vec::with_capacity(prog.funcs.len());
        let mut fallbacks = Vec::new();
        let mut dumps = Vec::new();
        for func in &prog.funcs {
            let sig = codegen::function_signature(&module);
            let id = match module.declare_function(&func.name, Linkage::Local, &sig) {
                Ok(id) => id,
                Err(e) => {
                    fallbacks.push((func.name.clone(), e.to_string()));
                    declared.push(None);
                    continue;
                }
            };
            ctx.func.signature = sig;
            ctx.func.name = UserFuncName::user(0, id.as_u32());
            ctx.set_disasm(dump.asm);
            let calls_before = shared.calls.len();
            {
                let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
                codegen::build(&mut b, &mut module, &ids, prog, func, &mut shared);
                b.finalize(module.target_config());
            }
            match module.define_function(id, &mut ctx) {
                Ok(()) => {
                    // The function as compiled, after Cranelift's optimizations.
                    let clif = if dump.clif {
                        annotate(&ctx.func.display().to_string(), &ids, &shared, calls_before)
                    } else {
                        String::new()
                    };
                    let asm = if dump.asm {
                        ctx.compiled_code().and_then(|c| c.vcode.clone()).unwrap_or_default()
                    } else {
                        String::new()
                    };
                    if dump.clif || dump.asm {
                        dumps.push(FuncDump { name: func.name.clone(), clif, asm });
                    }
                    declared.push(Some(id));
                }
                Err(e) => {
                    fallbacks.push((func.name.clone(), format!("Cranelift could not compile it: {e}")));
                    declared.push(None);
                }
            }
            module.clear_context(&mut ctx);
        }
        module.finalize_definitions().map_err(|e| JitError::Finalize(Box::new(e)))?;
        let funcs = declared
            .into_iter()
            .map(|id| {
                id.map(|id| {
                    let p = module.get_finalized_function(id);
                    // SAFETY: the function was defined with exactly this
                    // signature (codegen::function_signature).
                    unsafe { std::mem::transmute::<*const u8, NativeFn>(p) }
                })
            })
            .collect();
        Ok(Jit {
            module: Some(module),
            funcs,
            fallbacks,
            shared,
            interp: Interpreter::new(prog),
            scratch: Vec::new(),
            dumps,
        })
    }

    /// Functions that run in the interpreter, with the reason.
    pub fn fallbacks(&self) -> &[(String, String)] {
        &self.fallbacks
    }

    /// The listings kept by [`Jit::compile_with`].
    pub fn dumps(&self) -> &[FuncDump] {
        &self.dumps
    }
}

/// Makes a CLIF listing readable: names the helpers where they are
/// imported (`fn2 = u0:8 sig2  ; lt_host`) and says what each host call
/// does (`call fn2(...)  ; map.agg #0`). Host calls are numbered in the
/// order they were generated, which is the order of the listing.
fn annotate(clif: &str, ids: &codegen::HelperIds, shared: &Shared, first_call: usize) -> String {
    let names = ids.names();
    let mut refs: Vec<(String, &str)> = Vec::new();
    let mut next = first_call;
    let mut out = String::with_capacity(clif.len() + 256);
    for line in clif.lines() {
        out.push_str(line);
        let t = line.trim_start();
        if let Some((fref, rest)) = t.split_once(" = ")
            && fref.starts_with("fn")
            && let Some(idx) = rest.trim_start_matches("colocated ").strip_prefix("u0:")
            && let Some(idx) = idx.split_whitespace().next().and_then(|i| i.parse::<u32>().ok())
            && let Some(&(_, name)) = names.iter().find(|(i, _)| *i == idx)
        {
            let _ = write!(out, "  ; {name}");
            refs.push((format!("call {fref}("), name));
        } else if let Some((_, "lt_host")) = refs.iter().find(|(call, _)| t.contains(call.as_str()))
            && next < shared.calls.len()
        {
            let _ = write!(out, "  ; {}", shared.calls[next].describe());
            next += 1;
        }
        out.push('\n');
    }
    out
}

/// What `--dump clif` (or, with `asm`, `--dump asm`) prints: each
/// clause's functions as Cranelift IR or as the machine code Cranelift
/// generated, then the functions left to the interpreter, if any.
pub fn listing(prog: &Program, asm: bool) -> Result<String, JitError> {
    let jit = Jit::compile_with(prog, DumpOptions { clif: !asm, asm })?;
    let mut out = String::new();
    for (i, c) in prog.clauses.iter().enumerate() {
        let _ = writeln!(out, "clause {i}: {}", c.title());
        for id in c.predicate.iter().chain(std::iter::once(&c.action)) {
            let name = &prog.func(*id).name;
            let _ = writeln!(out, "; {name}");
            match jit.dumps.iter().find(|d| &d.name == name) {
                Some(d) => out.push_str(if asm { &d.asm } else { &d.clif }),
                None => out.push_str("; runs in the interpreter\n"),
            }
        }
    }
    out.push_str(&jit.summary());
    Ok(out)
}

impl Jit {
    /// One line per function left to the interpreter, or a line saying
    /// that every function was compiled.
    pub fn summary(&self) -> String {
        if self.fallbacks.is_empty() {
            return "; every function is compiled to native code\n".to_string();
        }
        let mut s = String::new();
        for (name, why) in &self.fallbacks {
            let _ = writeln!(s, "; {name} runs in the interpreter: {why}");
        }
        s
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the code is not running (we hold the only reference
            // to the Jit) and the function pointers go with it.
            unsafe { m.free_memory() };
        }
    }
}

impl Backend for Jit {
    fn run(&mut self, prog: &Program, func: FuncId, rec: Sealed<'_>, host: &mut dyn Host) -> i64 {
        let Some(f) = self.funcs.get(func.0 as usize).copied().flatten() else {
            return self.interp.run(prog, func, rec, host);
        };
        let mut scratch = recycle(std::mem::take(&mut self.scratch));
        let mut ctx = Ctx {
            consts: self.shared.string_table.as_ptr(),
            ret_len: 0,
            rec,
            shared: &raw const *self.shared,
            host,
            scratch: &raw mut scratch,
        };
        // SAFETY: the code was compiled from this program's IR; it reads
        // the sealed record at in-bounds offsets and the context's constants.
        let r = unsafe { f(rec.as_ptr(), &raw mut ctx) };
        self.scratch = recycle(scratch);
        // A helper that panicked returned a default; the panic goes on
        // from here, where it can unwind.
        helpers::resume_panic();
        r
    }

    fn name(&self) -> &'static str {
        "cranelift"
    }
}
